import type { KeyRing } from '../crypto/keyRing.js';
import type { ConnectionDoc, IntegrationDoc, IntegrationMode } from './documents.js';
import { isDuplicateKey } from './isDuplicateKey.js';
import type { Store } from './openStore.js';

type Integrations = Pick<Store, 'integrations'>;

/** An integration has one id inside its account, so every lookup is by `_id` (lib/store/README.md, rule 1). */
export function integrationDocId(accountId: string, slug: string): string {
  return `${accountId}/${slug}`;
}

export interface IntegrationInput {
  accountId: string;
  slug: string;
  provider: string;
  name: string;
  mode: IntegrationMode;
  scopes: string[] | null;
  connectionConfig: Record<string, string>;
  /** the integration's own OAuth app: both, or neither; a secret left out keeps the stored one for the same client */
  clientId: string | null;
  clientSecret: string | null;
  apiBaseUri: string | null;
  successUrl: string | null;
  errorUrl: string | null;
}

export class MissingClientSecretError extends Error {}

/** Creates or replaces an integration; its client secret is stored only as an envelope bound to it. */
export async function putIntegration(
  store: Integrations,
  keyRing: KeyRing,
  input: IntegrationInput,
  existing: IntegrationDoc | null,
): Promise<IntegrationDoc> {
  const _id = integrationDocId(input.accountId, input.slug);
  const keptSecret =
    input.clientId !== null && input.clientSecret === null && existing?.clientId === input.clientId
      ? existing.clientSecret
      : null;
  if (input.clientId !== null && input.clientSecret === null && keptSecret === null) {
    throw new MissingClientSecretError('client_id needs its client_secret');
  }
  const now = new Date();
  const { clientSecret, ...fields } = input;
  const doc: IntegrationDoc = {
    _id,
    ...fields,
    clientSecret:
      input.clientId === null
        ? null
        : clientSecret !== null
          ? keyRing.encrypt(Buffer.from(clientSecret), _id)
          : keptSecret,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  await store.integrations.replaceOne({ _id }, doc, { upsert: true });
  return doc;
}

export function findIntegration(store: Integrations, accountId: string, slug: string): Promise<IntegrationDoc | null> {
  return store.integrations.findOne({ _id: integrationDocId(accountId, slug) });
}

export function listIntegrations(store: Integrations, accountId: string): Promise<IntegrationDoc[]> {
  return store.integrations.find({ accountId }).sort({ _id: 1 }).toArray();
}

/** True when there was one to remove. Connections made through it keep their snapshot of its app. */
export async function deleteIntegration(store: Integrations, accountId: string, slug: string): Promise<boolean> {
  const result = await store.integrations.deleteOne({ _id: integrationDocId(accountId, slug) });
  return result.deletedCount === 1;
}

/**
 * The live connections made through an integration (all owners), newest first. A rare query of
 * rule 1 (lib/store/README.md): on FerretDB it reads the account's connections.
 */
export function integrationConnections(
  store: Pick<Store, 'connections'>,
  integration: Pick<IntegrationDoc, 'accountId' | 'slug'>,
): Promise<ConnectionDoc[]> {
  return store.connections
    .find({ accountId: integration.accountId, integrationId: integration.slug, status: { $ne: 'deleted' } })
    .sort({ createdAt: -1, _id: 1 })
    .toArray();
}

/** The `_id` of an owner's (null: the account's) pointer at its current connection of an integration. */
export function integrationConnectionKey(accountId: string, integrationSlug: string, ownerId: string | null): string {
  return `${accountId}/${integrationSlug}/${ownerId ?? ''}`;
}

const keyOf = (doc: Pick<ConnectionDoc, 'accountId' | 'integrationId' | 'ownerId'>) =>
  integrationConnectionKey(doc.accountId, doc.integrationId!, doc.ownerId ?? null);

/**
 * Makes a connection made through an integration its owner's current one, unless the owner already
 * has another that still exists (that one stays current). Idempotent; the unique `_id` decides
 * between two connections saved at once (lib/store/README.md, rule 2).
 */
export async function pointIntegrationConnection(
  store: Pick<Store, 'connections' | 'integrationConnections'>,
  doc: Pick<ConnectionDoc, '_id' | 'accountId' | 'integrationId' | 'ownerId'>,
): Promise<void> {
  if (!doc.integrationId) return;
  const _id = keyOf(doc);
  try {
    await store.integrationConnections.insertOne({ _id, connectionId: doc._id, createdAt: new Date() });
    return;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  const pointer = await store.integrationConnections.findOne({ _id });
  if (!pointer || pointer.connectionId === doc._id) return;
  const current = await store.connections.findOne({ _id: pointer.connectionId });
  if (current && current.status !== 'deleted') return;
  // The pointer names a connection that is gone: this one replaces it (conditional on what was read).
  await store.integrationConnections.updateOne(
    { _id, connectionId: pointer.connectionId },
    { $set: { connectionId: doc._id, createdAt: new Date() } },
  );
}

/** After a connection is removed: its pointer goes too (left behind, it would count as none anyway). */
export async function unpointIntegrationConnection(
  store: Pick<Store, 'integrationConnections'>,
  doc: Pick<ConnectionDoc, '_id' | 'accountId' | 'integrationId' | 'ownerId'>,
): Promise<void> {
  if (!doc.integrationId) return;
  await store.integrationConnections.deleteOne({ _id: keyOf(doc), connectionId: doc._id });
}

/**
 * The connection an owner has through an integration: a per-user integration's one for that end
 * user (null: the account's own), a shared integration's one for the whole account. Two reads by
 * `_id`: the pointer, then the connection.
 */
export async function currentIntegrationConnection(
  store: Pick<Store, 'connections' | 'integrationConnections'>,
  integration: Pick<IntegrationDoc, 'accountId' | 'slug' | 'mode'>,
  ownerId: string | null,
): Promise<ConnectionDoc | null> {
  const owner = integration.mode === 'shared' ? null : ownerId;
  const pointer = await store.integrationConnections.findOne({
    _id: integrationConnectionKey(integration.accountId, integration.slug, owner),
  });
  if (!pointer) return null;
  const doc = await store.connections.findOne({ _id: pointer.connectionId });
  const current =
    doc &&
    doc.status !== 'deleted' &&
    doc.accountId === integration.accountId &&
    doc.integrationId === integration.slug &&
    (doc.ownerId ?? null) === owner;
  return current ? doc : null;
}

/**
 * The connections an end user reaches through integrations: their own (per-user) and the account's
 * shared ones, one page of them newest first, and how many there are.
 */
export async function listIntegrationConnectionsOf(
  store: Pick<Store, 'connections'>,
  accountId: string,
  ownerId: string | null,
  sharedIntegrations: string[],
  page: { start: number; count: number },
): Promise<{ items: ConnectionDoc[]; total: number }> {
  const filter = {
    accountId,
    status: { $ne: 'deleted' as const },
    $or: [{ integrationId: { $type: 'string' as const }, ownerId }, { integrationId: { $in: sharedIntegrations } }],
  };
  const [items, total] = await Promise.all([
    store.connections.find(filter).sort({ createdAt: -1, _id: 1 }).skip(page.start).limit(page.count).toArray(),
    store.connections.countDocuments(filter),
  ]);
  return { items, total };
}
