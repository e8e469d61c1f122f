import { MongoServerError } from 'mongodb';
import type { Store } from './openStore.js';

/** Takes the request's single callback for this redirect: true for exactly one of any number of concurrent callers. */
export async function claimCallback(
  store: Pick<Store, 'callbackClaims'>,
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
