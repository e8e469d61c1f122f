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
  },
});
const command = positionals[0];
const valid =
  (command === 'create' && values.account && values.scopes && !values.operator) ||
  (command === 'create' && values.operator && !values.account && !values.scopes) ||
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
    const { token, tokenId } = await createApiToken(store, {
      accountId: values.account!,
      scopes: parseScopes(values.scopes!),
      name: values.name ?? 'cli',
    });
    console.log(`API token ${tokenId} for account ${values.account} (shown once, keep it safe):\n${token}`);
  } else if (command === 'list') {
    for (const t of await listApiTokens(store, values.operator ? null : values.account!)) {
      const state = t.revokedAt
        ? `revoked ${t.revokedAt.toISOString()}`
        : `last used ${t.lastUsedAt?.toISOString() ?? 'never'}`;
      console.log(`${t.tokenId}\t${t.name}\t${t.scopes.join(',')}\tcreated ${t.createdAt.toISOString()}\t${state}`);
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
