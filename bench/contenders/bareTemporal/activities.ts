import { createHash, randomBytes } from 'node:crypto';
import type { BareCallback, BareFlowInput, BareIssued, BareOutcome } from './messages.js';

/**
 * The activities of the bare-Temporal contender. None does I/O: `authorize` only formats the
 * provider's URL (state = the flow id, a throw-away PKCE challenge), `exchange` calls no provider and
 * `refresh` returns the time.
 * They measure what Temporal itself costs for the flow's shape.
 */
export const bareActivities = {
  async authorize(input: BareFlowInput): Promise<BareIssued> {
    const url = new URL(input.authorizationEndpoint);
    url.searchParams.set('client_id', input.clientId);
    url.searchParams.set('redirect_uri', input.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', input.scope);
    url.searchParams.set('state', input.flowId);
    url.searchParams.set(
      'code_challenge',
      createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
    );
    url.searchParams.set('code_challenge_method', 'S256');
    return { authUri: url.href, expiresAt: new Date(Date.now() + input.validitySeconds * 1000).toISOString() };
  },
  async exchange(input: { flowId: string; callback: BareCallback }): Promise<BareOutcome> {
    if (input.callback.error || !input.callback.code)
      return { connected: false, error: input.callback.error ?? 'invalid_request' };
    return { connected: true, connectionId: input.flowId };
  },
  /** the bare refresh loop's refresh: nothing but the time it ran */
  async refresh(): Promise<number> {
    return Date.now();
  },
};

export type BareActivities = typeof bareActivities;
