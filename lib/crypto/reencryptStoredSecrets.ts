import type { Collection, Document } from 'mongodb';
import type { Store } from '../store/openStore.js';
import type { KeyRing } from './keyRing.js';
import { webhookSecretAssociatedData } from '../webhooks/webhookSecret.js';

export interface RotationCounts {
  scanned: number;
  reencrypted: number;
  alreadyCurrent: number;
  changedMeanwhile: number;
}

function byId(doc: Document): string {
  return String(doc._id);
}

function byAppId(doc: Document): string {
  return String(doc.oauthApp.appId);
}

function raw<T extends Document>(collection: Collection<T>): Collection<Document> {
  return collection as unknown as Collection<Document>;
}

/** Every encrypted field in the store, with the associated data its envelope is bound to. */
const STORED_SECRETS: {
  name: string;
  collection: (store: Store) => Collection<Document>;
  field: string;
  associatedData: (doc: Document) => string;
}[] = [
  { name: 'connections', collection: (s) => raw(s.connections), field: 'credentials', associatedData: byId },
  { name: 'oauth_requests', collection: (s) => raw(s.oauthRequests), field: 'codeVerifier', associatedData: byId },
  { name: 'oauth_apps', collection: (s) => raw(s.oauthApps), field: 'clientSecret', associatedData: byId },
  { name: 'integrations', collection: (s) => raw(s.integrations), field: 'clientSecret', associatedData: byId },
  // The snapshots of account and integration apps that requests and connections carry (associated data = the app's id).
  {
    name: 'connection_oauth_apps',
    collection: (s) => raw(s.connections),
    field: 'oauthApp.clientSecret',
    associatedData: byAppId,
  },
  {
    name: 'request_oauth_apps',
    collection: (s) => raw(s.oauthRequests),
    field: 'oauthApp.clientSecret',
    associatedData: byAppId,
  },
  {
    name: 'webhooks',
    collection: (s) => raw(s.webhooks),
    field: 'secret',
    associatedData: (doc) => webhookSecretAssociatedData(String(doc._id)),
  },
  { name: 'connect_pages', collection: (s) => raw(s.connectPages), field: 'authUri', associatedData: byId },
  // Imported tokens still being proven, and the app snapshot each import carries.
  {
    name: 'token_imports',
    collection: (s) => raw(s.tokenImports),
    field: 'credentials',
    associatedData: (doc) => String(doc.connectionId),
  },
  {
    name: 'token_import_oauth_apps',
    collection: (s) => raw(s.tokenImports),
    field: 'oauthApp.clientSecret',
    associatedData: byAppId,
  },
];

/**
 * Re-encrypts every stored secret under the key ring's newest key. Resumable: envelopes already under
 * the newest key are skipped, and each write is conditional on the envelope it read (a refresh that
 * wrote meanwhile wins), so it can be stopped and run again at any time.
 */
export async function reencryptStoredSecrets(
  store: Store,
  keyRing: KeyRing,
  onProgress: (collection: string, counts: RotationCounts) => void = () => undefined,
): Promise<Record<string, RotationCounts>> {
  const results: Record<string, RotationCounts> = {};
  for (const { name, collection, field, associatedData } of STORED_SECRETS) {
    results[name] = await reencryptField(collection(store), field, associatedData, keyRing, (c) => onProgress(name, c));
  }
  return results;
}

async function reencryptField(
  collection: Collection<Document>,
  field: string,
  associatedData: (doc: Document) => string,
  keyRing: KeyRing,
  onProgress: (counts: RotationCounts) => void,
): Promise<RotationCounts> {
  const counts: RotationCounts = { scanned: 0, reencrypted: 0, alreadyCurrent: 0, changedMeanwhile: 0 };
  const current = `cf1.${keyRing.currentKeyId}.`;
  for await (const doc of collection.find({ [field]: { $type: 'string' } }).sort({ _id: 1 })) {
    counts.scanned++;
    const envelope = valueAt(doc, field) as string;
    if (envelope.startsWith(current)) {
      counts.alreadyCurrent++;
      continue;
    }
    const ad = associatedData(doc);
    const rewrapped = keyRing.encrypt(keyRing.decrypt(envelope, ad), ad);
    const result = await collection.updateOne({ _id: doc._id, [field]: envelope }, { $set: { [field]: rewrapped } });
    if (result.modifiedCount === 1) counts.reencrypted++;
    else counts.changedMeanwhile++;
    if (counts.scanned % 500 === 0) onProgress(counts);
  }
  onProgress(counts);
  return counts;
}

/** A field of a document by its dotted path (`oauthApp.clientSecret`), as MongoDB's filters name it. */
function valueAt(doc: Document, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], doc);
}
