import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeySpec, parseKeyRing } from '../lib/crypto/keyRing.js';
import { openStore, type Store } from '../lib/store/openStore.js';
import { readCredentials } from '../lib/store/readCredentials.js';
import { stack } from './support/testStack.js';

const run = promisify(execFile);
const database = `rotation_${Date.now()}`;
const stores: Store[] = [];
afterAll(async () => {
  await stores[0]?.db.dropDatabase();
  for (const s of stores) await s.close();
});

async function rotate(keys: string) {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/cli/keys.ts', 'rotate'], {
    env: { ...process.env, MONGODB_URI: stack.mongoUri, MONGODB_DATABASE: database, CONNECTFLOW_ENCRYPTION_KEYS: keys },
  });
  return stdout;
}

describe('key rotation', () => {
  it('secrets saved under key A stay readable after B is added, `keys rotate` moves them all to B, and A can then go', async () => {
    const a = generateKeySpec('keyA');
    const b = generateKeySpec('keyB');
    const store = await openStore({ MONGODB_URI: stack.mongoUri, MONGODB_DATABASE: database });
    stores.push(store);
    const ringA = parseKeyRing(a);
    const now = new Date();
    // An account's OAuth app, and the copy of it that a connection made with it carries.
    const appId = 'acct/demo';
    const ownApp = () => ({ clientId: 'own-app', clientSecret: ringA.encrypt(Buffer.from('own-secret'), appId) });
    await store.oauthApps.insertOne({
      _id: appId,
      accountId: 'acct',
      provider: 'demo',
      ...ownApp(),
      scopes: null,
      createdAt: now,
      updatedAt: now,
    });
    const integrationId = 'acct/drive';
    await store.integrations.insertOne({
      _id: integrationId,
      accountId: 'acct',
      slug: 'drive',
      provider: 'demo',
      name: 'Drive',
      mode: 'per_user',
      scopes: null,
      connectionConfig: {},
      clientId: 'integration-app',
      clientSecret: ringA.encrypt(Buffer.from('integration-secret'), integrationId),
      apiBaseUri: null,
      successUrl: null,
      errorUrl: null,
      createdAt: now,
      updatedAt: now,
    });
    for (let i = 0; i < 25; i++) {
      const id = `conn-${i}`;
      await store.connections.insertOne({
        _id: id,
        accountId: 'acct',
        provider: 'demo',
        name: id,
        status: 'active',
        credentials: ringA.encryptJson(
          { access_token: `access-${i}`, refresh_token: `refresh-${i}`, token_type: 'bearer' },
          id,
        ),
        scopes: [],
        tokenExpiresAt: null,
        refreshTokenExpiresAt: null,
        lastAuthorizedAt: now,
        lastRefreshedAt: null,
        providerData: {},
        apiBaseUri: null,
        authorizationRequestId: `req-${i}`,
        ...(i === 0 ? { oauthApp: { kind: 'account' as const, appId, ...ownApp() } } : {}),
        adoptedAt: null,
        createdAt: now,
        updatedAt: now,
      });
    }
    await store.oauthRequests.insertOne({
      _id: 'req-x',
      stateHash: 'h',
      accountId: 'acct',
      connectionId: 'conn-0',
      provider: 'demo',
      status: 'pending',
      codeVerifier: ringA.encrypt(Buffer.from('verifier-x'), 'req-x'),
      redirectUrl: null,
      connectionName: null,
      scopes: [],
      expiresAt: now,
      error: null,
      createdAt: now,
      updatedAt: now,
    });

    const ringBA = parseKeyRing(`${b},${a}`);
    const before = await store.connections.find({}).toArray();
    expect(before.map((d) => readCredentials(ringBA, d).access_token)).toContain('access-7');

    const out = await rotate(`${b},${a}`);
    expect(out).toContain('connections: 25 scanned, 25 re-encrypted');
    expect(out).toContain('oauth_requests: 1 scanned, 1 re-encrypted');
    expect(out).toContain('oauth_apps: 1 scanned, 1 re-encrypted');
    expect(out).toContain('connection_oauth_apps: 1 scanned, 1 re-encrypted');
    expect(out).toContain('integrations: 1 scanned, 1 re-encrypted');
    const appSecrets = [
      (await store.oauthApps.findOne({ _id: appId }))!.clientSecret,
      ((await store.connections.findOne({ _id: 'conn-0' }))!.oauthApp as { clientSecret: string }).clientSecret,
    ];
    const integrationSecret = (await store.integrations.findOne({ _id: integrationId }))!.clientSecret!;
    const envelopes = [
      ...appSecrets,
      integrationSecret,
      ...(await store.connections.find({}).toArray()).map((d) => d.credentials),
      ...(await store.oauthRequests.find({}).toArray()).map((d) => d.codeVerifier),
    ];
    expect(envelopes.filter((e) => e.startsWith('cf1.keyA.'))).toEqual([]);
    expect(envelopes.every((e) => e.startsWith('cf1.keyB.'))).toBe(true);

    const ringB = parseKeyRing(b); // A removed
    const after = await store.connections.find({}).sort({ _id: 1 }).toArray();
    expect(after.map((d) => readCredentials(ringB, d).refresh_token)).toEqual(
      before.sort((x, y) => x._id.localeCompare(y._id)).map((d) => readCredentials(ringBA, d).refresh_token),
    );
    expect(ringB.decrypt((await store.oauthRequests.findOne({ _id: 'req-x' }))!.codeVerifier, 'req-x').toString()).toBe(
      'verifier-x',
    );

    for (const secret of appSecrets) expect(ringB.decrypt(secret, appId).toString()).toBe('own-secret');
    expect(ringB.decrypt(integrationSecret, integrationId).toString()).toBe('integration-secret');

    expect(await rotate(b)).toContain('connections: 25 scanned, 0 re-encrypted, 25 already under the newest key');
  });
});
