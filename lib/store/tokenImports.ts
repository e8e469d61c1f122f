import { secretHash } from '../crypto/secretHash.js';
import type { ImportedCredentials, TokenImportDoc } from './documents.js';
import { isDuplicateKey } from './isDuplicateKey.js';
import type { Store } from './openStore.js';

type TokenImports = Pick<Store, 'tokenImports'>;

/** An import's id: the account and the hash of its refresh token (else of its access token). */
export function tokenImportId(accountId: string, credentials: ImportedCredentials): string {
  const [kind, token] = credentials.refresh_token
    ? ['rt', credentials.refresh_token]
    : ['at', credentials.access_token];
  if (!token) throw new Error('an import needs a refresh token or an access token');
  return `${accountId}/${kind}.${secretHash(token)}`;
}

/**
 * Claims the import's token for the account by inserting its document (lib/store/README.md, rule 2):
 * null when this import won, else the import that holds the token already.
 */
export async function claimTokenImport(store: TokenImports, doc: TokenImportDoc): Promise<TokenImportDoc | null> {
  try {
    await store.tokenImports.insertOne(doc);
    return null;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  return store.tokenImports.findOne({ _id: doc._id });
}

/** The connection holds the tokens now: the claim stays (it keeps the token from being imported twice), the tokens go. */
export async function completeTokenImport(store: TokenImports, importId: string): Promise<void> {
  await store.tokenImports.updateOne(
    { _id: importId },
    { $set: { status: 'completed', updatedAt: new Date() }, $unset: { credentials: '' } },
  );
}

/** The import failed, or its connection is gone: the token may be imported again. */
export async function dropTokenImport(store: TokenImports, importId: string): Promise<void> {
  await store.tokenImports.deleteOne({ _id: importId });
}
