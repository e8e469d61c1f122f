import { MongoServerError } from 'mongodb';
import type { CallbackClaimDoc } from './documents.js';
import type { Store } from './openStore.js';
import { setById } from './setById.js';

type Claims = Pick<Store, 'callbackClaims'>;

/** Takes the request's single callback for this redirect: true for exactly one of any number of concurrent callers. */
export async function claimCallback(
  store: Claims,
  authorizationRequestId: string,
  callbackHash: string,
): Promise<boolean> {
  try {
    await store.callbackClaims.insertOne({
      _id: authorizationRequestId,
      callbackHash,
      inDoubt: false,
      createdAt: new Date(),
    });
    return true;
  } catch (err) {
    if (err instanceof MongoServerError && err.code === 11000) return false;
    throw err;
  }
}

export function findCallbackClaim(store: Claims, authorizationRequestId: string): Promise<CallbackClaimDoc | null> {
  return store.callbackClaims.findOne({ _id: authorizationRequestId });
}

/** Whether the claimed callback reached the workflow is unknown: that same redirect may be re-sent. */
export async function markClaimInDoubt(store: Claims, authorizationRequestId: string): Promise<void> {
  await setById(store.callbackClaims, authorizationRequestId, { $set: { inDoubt: true } });
}
