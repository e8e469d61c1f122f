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
  return {
    connections: await reencryptField(
      store.connections,
      'credentials',
      (doc) => String(doc._id),
      keyRing,
      (c) => onProgress('connections', c),
    ),
    oauth_requests: await reencryptField(
      store.oauthRequests,
      'codeVerifier',
      (doc) => String(doc._id),
      keyRing,
      (c) => onProgress('oauth_requests', c),
    ),
    oauth_apps: await reencryptField(
      store.oauthApps,
      'clientSecret',
      (doc) => String(doc._id),
      keyRing,
      (c) => onProgress('oauth_apps', c),
    ),
    // The snapshots of account apps that requests and connections carry (associated data = the app's id).
    connection_oauth_apps: await reencryptField(
      store.connections,
      'oauthApp.clientSecret',
      (doc) => String(doc.oauthApp.appId),
      keyRing,
      (c) => onProgress('connection_oauth_apps', c),
    ),
    request_oauth_apps: await reencryptField(
      store.oauthRequests,
      'oauthApp.clientSecret',
      (doc) => String(doc.oauthApp.appId),
      keyRing,
      (c) => onProgress('request_oauth_apps', c),
    ),
    webhooks: await reencryptField(
      store.webhooks,
      'secret',
      (doc) => webhookSecretAssociatedData(String(doc._id)),
      keyRing,
      (c) => onProgress('webhooks', c),
    ),
    connect_pages: await reencryptField(
      store.connectPages,
      'authUri',
      (doc) => String(doc._id),
      keyRing,
      (c) => onProgress('connect_pages', c),
    ),
  };
}

async function reencryptField<T extends Document>(
  collection: Collection<T>,
  field: string,
  associatedData: (doc: Document) => string,
  keyRing: KeyRing,
  onProgress: (counts: RotationCounts) => void,
): Promise<RotationCounts> {
  const counts: RotationCounts = { scanned: 0, reencrypted: 0, alreadyCurrent: 0, changedMeanwhile: 0 };
  const current = `cf1.${keyRing.currentKeyId}.`;
  const raw = collection as unknown as Collection<Document>;
  for await (const doc of raw.find({ [field]: { $type: 'string' } }).sort({ _id: 1 })) {
    counts.scanned++;
    const envelope = valueAt(doc, field) as string;
    if (envelope.startsWith(current)) {
      counts.alreadyCurrent++;
      continue;
    }
    const ad = associatedData(doc);
    const rewrapped = keyRing.encrypt(keyRing.decrypt(envelope, ad), ad);
    const result = await raw.updateOne({ _id: doc._id, [field]: envelope }, { $set: { [field]: rewrapped } });
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
