import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { RefreshTiming } from '../lib/config.js';
import type { ConnectionStatus } from '../lib/store/documents.js';

/** When a connection's tokens were issued and lapse: all the workflow knows of them. */
export interface TokenClock {
  /** when the current access token was issued: its lifetime is measured from here */
  tokenIssuedAt: string | null;
  tokenExpiresAt: string | null;
  refreshTokenExpiresAt: string | null;
}

/** The workflow's own view of a connection: the stored statuses, and those before a document exists. */
export type WorkflowStatus = ConnectionStatus | 'pending' | 'expired' | 'failed';

/** What the workflow hands the API for a new authorization request (the API already holds its pull_id). */
export interface IssuedAuthorization {
  authUri: string;
  expiresAt: string;
}

export interface AuthorizationRequestOptions {
  /** the hash of the request's pull_id: the API mints the pull_id and keeps it, only this id comes here */
  authorizationRequestId: string;
  validitySeconds: number;
  scopes: string[] | null;
  redirectUrl: string | null;
  connectionName: string | null;
  /** the provider's template values; none (null or absent) on a reauthorization keeps the connection's own */
  connectionConfig?: Record<string, string> | null;
  /** the end user the connection is for (null: the account's own); absent on a reauthorization keeps the connection's */
  ownerId?: string | null;
  ownerProfile?: { email?: string; displayName?: string };
  /** the integration the connection is made through; absent on a reauthorization keeps the connection's */
  integrationId?: string | null;
  /** where a failure is sent (an integration's error page); absent: to redirectUrl */
  errorRedirectUrl?: string | null;
  /** the client obtains the code itself: the redirect_uri it used and its PKCE verifier (null: none) */
  clientGrant?: { redirectUri: string; codeVerifier: string | null };
}

/** A saved connection's state, carried from run to run. */
export interface SavedConnectionState extends TokenClock {
  status: 'active' | 'needs_reauth';
  lastRefreshedAt: string | null;
  /** times (epoch ms) of the planned refreshes inside the throttle window, oldest first */
  recentRefreshes: number[];
  /** planned refreshes are paused until then (epoch ms) by the throttle */
  refreshPausedUntil: number | null;
}

/**
 * A new connection starts with `authorize`, an imported one with `imported` (its tokens wait in the
 * store under `importId`); a saved one (after continueAsNew, or restarted by the
 * refresh-audit or by an API call finding no running workflow) starts with `saved`. `timing` is the
 * starter's current refresh timing; each refresh and exchange hands the worker's current one on.
 */
export type ConnectionWorkflowInput = {
  connectionId: string;
  accountId: string;
  provider: string;
  timing: RefreshTiming;
  /** shown as the IntegrationId and OwnerId search attributes of the run that starts with them (copied on continue-as-new) */
  integrationId?: string | null;
  ownerId?: string | null;
} & (
  | { authorize: AuthorizationRequestOptions; saved?: undefined; imported?: undefined }
  | { saved: SavedConnectionState; authorize?: undefined; imported?: undefined }
  | { imported: { importId: string }; authorize?: undefined; saved?: undefined }
);

export interface CallbackDelivery {
  authorizationRequestId: string;
  state: string;
  code: string | null;
  iss: string | null;
  error: string | null;
  errorDescription: string | null;
  /** the redirect's other query parameters (e.g. QuickBooks realmId); the provider's declared ones are kept */
  params?: Record<string, string>;
}

export type FlowOutcome =
  | { connected: true; connectionId: string; provider: string }
  | { connected: false; error: string; error_description: string | null };

export interface ConnectionSnapshot extends TokenClock {
  status: WorkflowStatus;
  lastRefreshedAt: string | null;
}

/** Update-with-start: returns the `auth_uri` once the authorize activity made it (the API holds the pull_id). */
export const issueAuthorizationUpdate = defineUpdate<IssuedAuthorization>('issueAuthorization');
/** The provider's redirect, delivered once; answers with the real outcome of the exchange and save. */
export const deliverCallbackUpdate = defineUpdate<FlowOutcome, [CallbackDelivery]>('deliverCallback');
/** Refresh now; concurrent calls share one token-endpoint call. */
export const refreshUpdate = defineUpdate<ConnectionSnapshot>('refresh');
/** A new auth_uri for the same connection (e.g. after needs_reauth). */
export const reauthorizeUpdate = defineUpdate<IssuedAuthorization, [AuthorizationRequestOptions]>('reauthorize');
/** Update-with-start of an import: answers once the imported tokens are proven and saved, or refused. */
export const importOutcomeUpdate = defineUpdate<FlowOutcome>('importOutcome');
/** Revoke at the provider, delete, end the workflow. */
export const disconnectUpdate = defineUpdate<{ revoked: boolean }>('disconnect');
export const statusQuery = defineQuery<ConnectionSnapshot>('status');
