import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config.js';
import {
  createApiToken,
  createOperatorToken,
  listApiTokens,
  parseScopes,
  revokeApiToken,
} from '../../lib/store/apiTokens.js';
import { openStore } from '../../lib/store/openStore.js';

const usage = `usage: npm run token -- create --account <accountId> --scopes connection:read,connection:edit[,account:admin] [--name <name>]
         [--user <end user id>] [--expires-in <seconds>]   (a token of one end user; it cannot hold account:admin)
       npm run token -- create --operator [--name <name>]   (decodes any account's payloads at /codec)
       npm run token -- list --account <accountId> | --operator
       npm run token -- revoke --id <tokenId>`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    account: { type: 'string' },
    scopes: { type: 'string' },
    name: { type: 'string' },
    id: { type: 'string' },
    operator: { type: 'boolean' },
    user: { type: 'string' },
    'expires-in': { type: 'string' },
  },
});
const command = positionals[0];
const valid =
  (command === 'create' && values.account && values.scopes && !values.operator) ||
  (command === 'create' && values.operator && !values.account && !values.scopes && !values.user) ||
  (command === 'list' && (values.account || values.operator)) ||
  (command === 'revoke' && values.id);
if (!valid) {
  console.error(usage);
  process.exit(2);
}
const store = await openStore(loadConfig());
try {
  if (command === 'create' && values.operator) {
    const { token, tokenId } = await createOperatorToken(store, { name: values.name ?? 'cli' });
    console.log(`operator token ${tokenId} (decodes every account's payloads; shown once, keep it safe):\n${token}`);
  } else if (command === 'create') {
    const expiresIn = values['expires-in'];
    if (expiresIn !== undefined && !/^[1-9]\d{0,9}$/.test(expiresIn))
      throw new Error('--expires-in is a whole number of seconds');
    const { token, tokenId } = await createApiToken(store, {
      accountId: values.account!,
      scopes: parseScopes(values.scopes!),
      name: values.name ?? 'cli',
      userId: values.user ?? null,
      expiresAt: expiresIn === undefined ? null : new Date(Date.now() + Number(expiresIn) * 1000),
    });
    const of = values.user ? `end user ${values.user} of account ${values.account}` : `account ${values.account}`;
    console.log(`API token ${tokenId} for ${of} (shown once, keep it safe):\n${token}`);
  } else if (command === 'list') {
    for (const t of await listApiTokens(store, values.operator ? null : values.account!)) {
      const state = t.revokedAt
        ? `revoked ${t.revokedAt.toISOString()}`
        : `last used ${t.lastUsedAt?.toISOString() ?? 'never'}`;
      const user = t.userId ? `user ${t.userId}` : 'account';
      const expiry = t.expiresAt ? `expires ${t.expiresAt.toISOString()}` : 'no expiry';
      console.log(
        `${t.tokenId}\t${t.name}\t${t.scopes.join(',')}\t${user}\tcreated ${t.createdAt.toISOString()}\t${expiry}\t${state}`,
      );
    }
  } else {
    const revoked = await revokeApiToken(store, values.id!);
    console.log(revoked ? `revoked ${values.id}` : `no active token ${values.id}`);
    if (!revoked) process.exitCode = 1;
  }
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await store.close();
}
