import type { KeyRing } from '../../lib/crypto/keyRing.js';
import { newConnectPageId } from '../../lib/store/connectPageId.js';
import type { Store } from '../../lib/store/openStore.js';

export interface ConnectPageRequest {
  authorizationRequestId: string;
  accountId: string;
  authUri: string;
  expiresAt: string;
}

/**
 * Stores the connect page of a new authorization request and returns its address, `connect_uri`.
 * Only the id's hash is stored; the auth_uri (which carries the request's state) is kept encrypted
 * for the page's one button.
 */
export async function openConnectPage(
  store: Pick<Store, 'connectPages'>,
  keyRing: KeyRing,
  publicBaseUrl: string,
  request: ConnectPageRequest,
): Promise<string> {
  const { connectId, connectPageId } = newConnectPageId();
  await store.connectPages.insertOne({
    _id: connectPageId,
    authorizationRequestId: request.authorizationRequestId,
    accountId: request.accountId,
    authUri: keyRing.encrypt(Buffer.from(request.authUri), connectPageId),
    expiresAt: new Date(request.expiresAt),
    createdAt: new Date(),
  });
  return new URL(`/connect/${connectId}`, publicBaseUrl).href;
}
