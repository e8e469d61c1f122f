import * as oauth from 'oauth4webapi';
import { providerTimeoutMs, requestOptions } from '../lib/providers/resolveAuthorizationServer.js';
import { readCredentials } from '../lib/store/readCredentials.js';
import type { ActivityContext } from './activityContext.js';
import { providerForActivity } from './providerForActivity.js';
import { recordConnectionEvent } from './recordConnectionEvent.js';
import { setById } from '../lib/store/setById.js';

const REVOCATION_ATTEMPTS = 3;

/**
 * DELETE: revokes the refresh and access tokens at the provider (RFC 7009) when it has a revocation
 * endpoint, then deletes the connection. A provider that keeps failing is recorded as an event and
 * does not keep the user's delete from happening. Idempotent.
 */
export async function disconnectConnection(ctx: ActivityContext, input: { connectionId: string }): Promise<{ revoked: boolean }> {
  const { connections } = ctx.store;
  const doc = await connections.findOne({ _id: input.connectionId });
  if (!doc) return { revoked: false };
  await setById(connections, doc._id, { $set: { status: 'deleted', updatedAt: new Date() } });

  let revoked = false;
  try {
    const { entry, as, client, clientAuth } = await providerForActivity(ctx, doc.connectionType);
    if (as.revocation_endpoint) {
      const credentials = readCredentials(ctx.keyRing, doc);
      const tokens = [
        ...(credentials.refresh_token ? [{ token: credentials.refresh_token, hint: 'refresh_token' }] : []),
        { token: credentials.access_token, hint: 'access_token' },
      ];
      for (const { token, hint } of tokens) await revokeWithRetries(as, client, clientAuth, token, hint, requestOptions(entry, providerTimeoutMs(ctx.timing.activityTimeoutSeconds)));
      revoked = true;
    }
  } catch (err) {
    await recordConnectionEvent(ctx, doc, 'connection.revocation_failed', { message: (err as Error).message });
  }
  await recordConnectionEvent(ctx, doc, 'connection.deleted', { revoked });
  await connections.findOneAndDelete({ _id: doc._id });
  return { revoked };
}

async function revokeWithRetries(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  clientAuth: oauth.ClientAuth,
  token: string,
  hint: string,
  options: ReturnType<typeof requestOptions>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await oauth.revocationRequest(as, client, clientAuth, token, {
        ...options,
        signal: AbortSignal.timeout(10_000),
        additionalParameters: { token_type_hint: hint },
      });
      await oauth.processRevocationResponse(response);
      return;
    } catch (err) {
      if (attempt >= REVOCATION_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
}
