import type { ConnectionDoc } from './documents.js';
import type { Store } from './openStore.js';
import { setById } from './setById.js';

type Connections = Pick<Store, 'connections'>;

/**
 * A connection by its id (by `_id` alone, the store's fast path: callers check the owner and status),
 * or null.
 */
export function findConnection(store: Connections, connectionId: string): Promise<ConnectionDoc | null> {
  return store.connections.findOne({ _id: connectionId });
}

/**
 * One page of an account's connections (deleted ones left out), newest first, and how many there are;
 * with an owner, only that end user's.
 */
export async function listConnections(
  store: Connections,
  accountId: string,
  page: { number: number; size: number },
  ownerId?: string,
): Promise<{ items: ConnectionDoc[]; total: number }> {
  const filter = { accountId, status: { $ne: 'deleted' as const }, ...(ownerId !== undefined ? { ownerId } : {}) };
  const [items, total] = await Promise.all([
    store.connections
      .find(filter)
      .sort({ createdAt: -1, _id: 1 })
      .skip((page.number - 1) * page.size)
      .limit(page.size)
      .toArray(),
    store.connections.countDocuments(filter),
  ]);
  return { items, total };
}

/** Names a connection and marks it adopted (saved by its client) from the first time on. */
export async function renameConnection(store: Connections, doc: ConnectionDoc, name: string): Promise<ConnectionDoc> {
  const now = new Date();
  const adoptedAt = doc.adoptedAt ?? now;
  await setById(store.connections, doc._id, { $set: { name, adoptedAt, updatedAt: now } });
  return { ...doc, name, adoptedAt, updatedAt: now };
}

export async function removeConnection(store: Connections, connectionId: string): Promise<void> {
  await store.connections.findOneAndDelete({ _id: connectionId });
}
