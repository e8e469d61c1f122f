import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { IssuedAuthorization } from '../activities/createAuthorizationRequest.js';
import type { RefreshTiming } from '../lib/config.js';
import type { ConnectionStatus } from '../lib/store/documents.js';

/** When a connection's tokens lapse: all the workflow knows of them. */
export interface TokenClock {
  /** when the current access token was issued: its lifetime is measured from here */
  tokenIssuedAt: string | null;
  tokenExpiresAt: string | null;
  refreshTokenExpiresAt: string | null;
}

export interface AuthorizationRequestOptions {
  validitySeconds: number;
  scopes: string[] | null;
  redirectUrl: string | null;
  connectionName: string | null;
}

/**
 * A new connection starts with `authorize`; a saved one (after continueAsNew, or restarted by the
 * refresh-audit or by an API call finding no running workflow) starts with `saved`.
 */
export interface ConnectionWorkflowInput {
  connectionId: string;
  accountId: string;
  datasourceId: string;
  timing: RefreshTiming;
  authorize?: AuthorizationRequestOptions;
  saved?: TokenClock & {
    status: 'active' | 'needs_reauth';
    lastRefreshedAt: string | null;
    /** times (epoch ms) of the planned refreshes inside the throttle window, oldest first */
    recentRefreshes: number[];
    /** planned refreshes are paused until then (epoch ms) by the throttle */
    refreshPausedUntil: number | null;
  };
  /**
   * Set on every run started by code that runs the activities locally (connectionWorkflowStartOptions,
   * continueAsNew): such a run skips `patched()`, whose marker and the `TemporalChangeVersion`
   * search-attribute upsert Temporal adds to it cost two history events and a visibility write in every
   * refresh run. Runs started without it (before) ask `patched()` and replay as they ran.
   */
  localActivities?: true;
}

export interface CallbackDelivery {
  requestId: string;
  state: string;
  code: string | null;
  iss: string | null;
  error: string | null;
  errorDescription: string | null;
}

export type FlowOutcome =
  | { connected: true; connectionId: string; datasourceId: string }
  | { connected: false; error: string; error_description: string | null };

export interface ConnectionSnapshot extends TokenClock {
  status: ConnectionStatus;
  lastRefreshedAt: string | null;
}

/** Update-with-start: returns the `pull_id` and `auth_uri` once the authorize activity made them. */
export const issueAuthorizationUpdate = defineUpdate<IssuedAuthorization>('issueAuthorization');
/** The provider's redirect, delivered once; answers with the real outcome of the exchange and save. */
export const deliverCallbackUpdate = defineUpdate<FlowOutcome, [CallbackDelivery]>('deliverCallback');
/** Refresh now; concurrent calls share one token-endpoint call. */
export const refreshUpdate = defineUpdate<ConnectionSnapshot>('refresh');
/** A new auth_uri for the same connection (e.g. after needs_reauth). */
export const reauthorizeUpdate = defineUpdate<IssuedAuthorization, [AuthorizationRequestOptions]>('reauthorize');
/** Revoke at the provider, delete, end the workflow. */
export const disconnectUpdate = defineUpdate<{ revoked: boolean }>('disconnect');
export const statusQuery = defineQuery<ConnectionSnapshot>('status');
