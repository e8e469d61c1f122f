import { findConnection } from '../../lib/store/connections.js';
import type { ConnectionDoc } from '../../lib/store/documents.js';
import { redeemFlowSecret } from '../../lib/store/flowSecrets.js';
import type { ApiContext } from '../ApiContext.js';
import type { Caller } from '../auth/authenticate.js';
import { HttpError, notFound } from '../errors/HttpError.js';
import { visibleTo } from './connectionAccess.js';

/**
 * The connection a flow's secret_id names, for the caller, once: another account's (or another end
 * user's) secret is a 404, a used or expired one a 410. `check` may refuse before the use is taken.
 */
export async function redeemSecretId(
  ctx: ApiContext,
  caller: Caller,
  secretId: string,
  check: (doc: ConnectionDoc) => void,
): Promise<ConnectionDoc> {
  let doc: ConnectionDoc | null = null;
  const redemption = await redeemFlowSecret(ctx.store, caller.accountId, secretId, async (connectionId) => {
    doc = await findConnection(ctx.store, connectionId);
    if (!doc || doc.status === 'deleted' || !visibleTo(doc, caller)) throw notFound('secret_id');
    check(doc);
  });
  switch (redemption.kind) {
    case 'unknown':
      throw notFound('secret_id');
    case 'expired':
      throw new HttpError(
        410,
        'secret_expired',
        'this secret_id has expired: the request it came from is past its validity',
      );
    case 'used':
      throw new HttpError(410, 'secret_used', 'this secret_id was used already; it can be used once');
    case 'redeemed':
      return doc!;
  }
}
