import { redirectOriginsOf } from '../../lib/store/accounts.js';
import type { Store } from '../../lib/store/openStore.js';
import { HttpError } from '../errors/HttpError.js';

/** No open redirect: a request's redirect_url must be on its account's allow-list of origins. */
export async function assertRedirectAllowed(
  store: Store,
  accountId: string,
  redirectUrl: string | undefined,
): Promise<void> {
  if (redirectUrl === undefined) return;
  const origin = new URL(redirectUrl).origin;
  if (!(await redirectOriginsOf(store, accountId)).includes(origin)) {
    throw new HttpError(
      400,
      'redirect_url_not_allowed',
      `redirect_url origin ${origin} is not on this account's allow-list (PUT /api/account {"redirect_origins": [...]})`,
    );
  }
}
