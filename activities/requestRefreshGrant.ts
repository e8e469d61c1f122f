import * as oauth from 'oauth4webapi';
import { providerTimeoutMs } from '../lib/providers/resolveAuthorizationServer.js';
import { unwrapTokenResponse } from '../lib/providers/tokenResponseFields.js';
import type { ActivityContext } from './activityContext.js';
import { checkTokenLifetime, type TokenLifetimeProblem } from './checkTokenLifetime.js';
import type { ResolvedProvider } from './providerForActivity.js';

/** How a refresh-token grant ended, sorted by what the caller does next. */
export type RefreshGrant =
  | {
      kind: 'tokens';
      tokens: oauth.TokenEndpointResponse;
      lifetimeProblem: TokenLifetimeProblem | null;
      issuedAt: Date;
    }
  /** the provider answered 4xx (invalid_grant, invalid_client, ...): the refresh token will not work */
  | { kind: 'refused'; error: string; description: string | null }
  /** the provider was not reached or answered 5xx: it may work later */
  | { kind: 'unavailable'; error: 'provider_unreachable' | 'provider_unavailable'; description: string };

/** One refresh-token grant request at the provider's token endpoint and its processed response. */
export async function requestRefreshGrant(
  ctx: ActivityContext,
  { entry, as, client, clientAuth, tokenRequestOptions }: ResolvedProvider,
  refreshToken: string,
): Promise<RefreshGrant> {
  const issuedAt = new Date();
  let response: Response;
  try {
    response = await oauth.refreshTokenGrantRequest(
      as,
      client,
      clientAuth,
      refreshToken,
      tokenRequestOptions(providerTimeoutMs(ctx.timing.activityTimeoutSeconds)),
    );
  } catch (err) {
    return {
      kind: 'unavailable',
      error: 'provider_unreachable',
      description: `token endpoint not reached: ${(err as Error).message}`,
    };
  }
  if (response.status >= 500) {
    return {
      kind: 'unavailable',
      error: 'provider_unavailable',
      description: `token endpoint answered ${response.status}`,
    };
  }
  const checked = await checkTokenLifetime(
    await unwrapTokenResponse(response, entry.tokenResponsePath),
    ctx.timing.minIntervalSeconds,
  );
  try {
    const tokens = await oauth.processRefreshTokenResponse(as, client, checked.response);
    return { kind: 'tokens', tokens, lifetimeProblem: checked.problem, issuedAt };
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) {
      return { kind: 'refused', error: err.error, description: err.error_description ?? null };
    }
    throw err;
  }
}
