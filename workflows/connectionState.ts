import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { RefreshTiming } from '../lib/config.js';
import { ConnectionStatusAttribute } from '../lib/temporal/names.js';
import type { ConnectionSnapshot, ConnectionWorkflowInput, TokenClock, WorkflowStatus } from './connectionMessages.js';

/** What one run of a connection's workflow knows of the connection; its phases read and change it. */
export interface ConnectionState {
  readonly connectionId: string;
  status: WorkflowStatus;
  clock: TokenClock;
  /** the worker's refresh timing as the last exchange or refresh handed it on (the start's until then) */
  timing: RefreshTiming;
  lastRefreshedAt: string | null;
}

export function initialState(input: ConnectionWorkflowInput): ConnectionState {
  const { saved } = input;
  return {
    connectionId: input.connectionId,
    status: saved?.status ?? 'pending',
    clock: saved
      ? {
          tokenIssuedAt: saved.tokenIssuedAt,
          tokenExpiresAt: saved.tokenExpiresAt,
          refreshTokenExpiresAt: saved.refreshTokenExpiresAt,
        }
      : { tokenIssuedAt: null, tokenExpiresAt: null, refreshTokenExpiresAt: null },
    timing: input.timing,
    lastRefreshedAt: saved?.lastRefreshedAt ?? null,
  };
}

export function snapshot(state: ConnectionState): ConnectionSnapshot {
  return { status: state.status, ...state.clock, lastRefreshedAt: state.lastRefreshedAt };
}

/** Changes the status and the `ConnectionStatus` search attribute with it. */
export function setStatus(state: ConnectionState, next: WorkflowStatus): void {
  if (next === state.status) return;
  state.status = next;
  upsertSearchAttributes([{ key: ConnectionStatusAttribute, value: next }]);
}

/** A run started with its status (continueAsNew copies the attributes) needs no upsert: it would be a visibility write per refresh. */
export function showStatus(state: ConnectionState): void {
  if (workflowInfo().typedSearchAttributes.get(ConnectionStatusAttribute) !== state.status) {
    upsertSearchAttributes([{ key: ConnectionStatusAttribute, value: state.status }]);
  }
}
