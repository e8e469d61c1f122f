import { ApplicationFailure } from '@temporalio/activity';
import * as oauth from 'oauth4webapi';
import { providerTimeoutMs, requestOptions } from '../lib/providers/resolveAuthorizationServer.js';
import type { ConnectionDoc } from '../lib/store/documents.js';
import { findConnection, removeConnection } from '../lib/store/connections.js';
import { readCredentials } from '../lib/store/readCredentials.js';
import { unpointIntegrationConnection } from '../lib/store/integrations.js';
import { dropTokenImport } from '../lib/store/tokenImports.js';
import { eventId } from '../lib/events/eventId.js';
import type { ActivityContext } from './activityContext.js';
import { providerForActivity } from './providerForActivity.js';
import { announceEvent, recordConnectionEvent, writeEvent } from './recordConnectionEvent.js';

/** Revocation is tried on this many activity attempts (Temporal's retries: the only retry layer). */
const REVOCATION_ATTEMPTS = 3;

/** The running activity attempt: its number and the signal Temporal aborts when it is cancelled or times out. */
export interface AttemptContext {
  attempt: number;
  signal: AbortSignal;
}

/**
 * DELETE: revokes the refresh and access tokens at the provider (RFC 7009) when it has a revocation
 * endpoint, then deletes the connection. One provider call per token per attempt, all under one
 * deadline and the activity's cancellation; an unreachable provider fails the attempt (Temporal
 * retries it) until the last revocation attempt, which records the failure and deletes anyway.
 * Idempotent: each event is written once per connection. The connection stays as it was while its
 * tokens are revoked; `connection.deleted` (with whether the provider confirmed the revocation) is
 * written before the document goes, so nobody sees it gone without the event.
 */
export async function disconnectConnection(
  ctx: ActivityContext,
  input: { connectionId: string },
  { attempt, signal }: AttemptContext,
): Promise<{ revoked: boolean }> {
  const doc = await findConnection(ctx.store, input.connectionId);
  if (!doc) return alreadyDeleted(ctx, input.connectionId);

  let revoked = false;
  if (attempt <= REVOCATION_ATTEMPTS) {
    try {
      revoked = await revokeTokens(ctx, doc, signal);
    } catch (err) {
      const final = attempt >= REVOCATION_ATTEMPTS || (err instanceof ApplicationFailure && err.nonRetryable);
      if (!final)
        throw ApplicationFailure.retryable(`revocation failed: ${(err as Error).message}`, 'revocation_failed');
      await recordConnectionEvent(ctx, doc, 'connection.revocation_failed', [], {
        message: (err as Error).message,
        attempts: attempt,
      });
    }
  } else {
    // Past the revocation attempts (e.g. MongoDB failed them): delete without revoking, and say so once.
    await recordConnectionEvent(ctx, doc, 'connection.revocation_failed', [], {
      message: `not revoked within ${REVOCATION_ATTEMPTS} attempts`,
      attempts: attempt,
    });
  }
  const deleted = await writeEvent(ctx, doc, 'connection.deleted', [], { revoked });
  await removeConnection(ctx.store, doc._id);
  await unpointIntegrationConnection(ctx.store, doc);
  await dropTokenImport(ctx.store, doc.authorizationRequestId); // an imported connection's token may be imported again
  await announceEvent(ctx, deleted);
  return { revoked };
}

/** A retry after the document went: the deleted event (if this activity wrote one) is announced again. */
async function alreadyDeleted(ctx: ActivityContext, connectionId: string): Promise<{ revoked: boolean }> {
  const deleted = await ctx.store.events.findOne({ _id: eventId('connection.deleted', connectionId) });
  if (!deleted) return { revoked: false };
  await announceEvent(ctx, deleted);
  return { revoked: deleted.details.revoked === true };
}

/** Revokes the refresh token, then the access token; false when the provider has no revocation endpoint. */
async function revokeTokens(ctx: ActivityContext, doc: ConnectionDoc, cancelled: AbortSignal): Promise<boolean> {
  const { as, client, clientAuth } = await providerForActivity(
    ctx,
    doc.provider,
    doc.connectionConfig ?? {},
    doc.oauthApp,
  );
  if (!as.revocation_endpoint) return false;
  const credentials = readCredentials(ctx.keyRing, doc);
  const tokens = [
    ...(credentials.refresh_token ? [{ token: credentials.refresh_token, hint: 'refresh_token' }] : []),
    { token: credentials.access_token, hint: 'access_token' },
  ];
  // One deadline for both calls, ending well before the activity's own timeout.
  const signal = AbortSignal.any([
    cancelled,
    AbortSignal.timeout(providerTimeoutMs(ctx.timing.activityTimeoutSeconds)),
  ]);
  for (const { token, hint } of tokens) {
    const response = await oauth.revocationRequest(as, client, clientAuth, token, {
      ...requestOptions(as),
      signal,
      additionalParameters: { token_type_hint: hint },
    });
    if (response.status >= 500) throw new Error(`revocation endpoint answered ${response.status}`);
    try {
      await oauth.processRevocationResponse(response);
    } catch (err) {
      // A 4xx (e.g. invalid_client) will not change on a retry.
      throw ApplicationFailure.nonRetryable((err as Error).message, 'revocation_refused');
    }
  }
  return true;
}
