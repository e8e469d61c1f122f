import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { ensureTools } from '../../scripts/dev/servers/buildTools.js';
import { freePort } from '../../scripts/dev/servers/freePort.js';
import { startFerretDb } from '../../scripts/dev/servers/startFerretDb.js';
import { cpuSeconds } from '../harness/procStats.js';

/**
 * `npx tsx bench/probes/ferretdbLookups.ts`: what one document lookup costs on the pinned FerretDB
 * (SQLite backend) as a collection grows, by filter shape. FerretDB 1.24 pushes down to SQLite only a
 * filter that is exactly {_id: <string|ObjectId>}, and even that one as `->'$._id'`, which the
 * `->"_id"` index does not serve: every lookup scans the collection, and any other filter (e.g.
 * {_id, status: {$ne: 'deleted'}}, as refreshTokens and the API use) decodes every document in Go.
 */
const tools = await ensureTools({ temporal: false, ferretdb: true }, () => {});
const dir = mkdtempSync(join(tmpdir(), 'ferretdb-probe-'));
const server = await startFerretDb({ binary: tools.ferretdb!, dataDir: dir, port: await freePort() });
const client = new MongoClient(server.uri);
await client.connect();
const connections = client.db('probe').collection<{ _id: string } & Record<string, unknown>>('connections');
try {
  for (const n of [1_000, 10_000]) {
    await connections.deleteMany({});
    const docs = Array.from({ length: n }, (_, i) => ({
      _id: `${i}-${Math.random().toString(36).slice(2)}`,
      accountId: 'probe',
      provider: 'demo',
      status: 'active',
      credentials: 'x'.repeat(600), // about the size of an encrypted credentials envelope
      scopes: ['read'],
      tokenExpiresAt: new Date(),
      lastRefreshedAt: null,
      providerData: {},
      // every tenth one made through an integration, by one of 100 end users
      ...(i % 10 === 0 ? { integrationId: 'drive', ownerId: `user-${i % 1000}` } : {}),
      createdAt: new Date(),
      updatedAt: new Date(),
    }));
    for (let i = 0; i < n; i += 1_000) await connections.insertMany(docs.slice(i, i + 1_000));
    await connections.createIndex({ accountId: 1, _id: 1 });
    await connections.createIndex({ status: 1, tokenExpiresAt: 1 });
    await connections.createIndex({ accountId: 1, integrationId: 1, ownerId: 1 });
    const probe = async (label: string, op: (id: string) => Promise<unknown>) => {
      const runs = 30;
      const cpu0 = cpuSeconds(server.child.pid)!;
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) await op(docs[(i * 7919) % n]!._id);
      const ms = (performance.now() - t0) / runs;
      const cpuMs = ((cpuSeconds(server.child.pid)! - cpu0) / runs) * 1000;
      console.log(
        `${String(n).padStart(6)} docs  ${label.padEnd(44)} ${ms.toFixed(1).padStart(7)} ms/op  FerretDB CPU ${cpuMs.toFixed(1).padStart(7)} ms/op`,
      );
    };
    await probe('findOne({_id})', (id) => connections.findOne({ _id: id }));
    await probe("findOne({_id, status: {$ne: 'deleted'}})", (id) =>
      connections.findOne({ _id: id, status: { $ne: 'deleted' } }),
    );
    await probe('findOne({_id, accountId})', (id) => connections.findOne({ _id: id, accountId: 'probe' }));
    // An end user's connection of an integration as a query: what the integration_connections pointer (by _id) avoids.
    await probe('findOne({accountId, integrationId, ownerId, ...})', () =>
      connections.findOne(
        { accountId: 'probe', integrationId: 'drive', ownerId: 'user-500', status: { $ne: 'deleted' } },
        { sort: { createdAt: 1, _id: 1 } },
      ),
    );
    await probe('updateOne({_id}, {$set})', (id) =>
      connections.updateOne({ _id: id }, { $set: { updatedAt: new Date() } }),
    );
  }
} finally {
  await client.close();
  await server.child.stop();
  rmSync(dir, { recursive: true, force: true });
}
