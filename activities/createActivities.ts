import { activityInfo, cancellationSignal } from '@temporalio/activity';
import { activateImport } from './activateImport.js';
import type { ActivityContext } from './activityContext.js';
import { createAuthorizationRequest, type CreateAuthorizationRequestInput } from './createAuthorizationRequest.js';
import { disconnectConnection } from './disconnectConnection.js';
import { exchangeCodeAndSave, type CallbackParameters } from './exchangeCodeAndSave.js';
import { markRequestExpired, markRequestFailed } from './recordRequestOutcome.js';
import { recordRefreshThrottled } from './recordRefreshThrottled.js';
import { refreshTokens } from './refreshTokens.js';
import { restartMissingConnectionWorkflows } from './restartMissingConnectionWorkflows.js';
import { pruneExpiredEvents } from './pruneExpiredEvents.js';
import { currentStep } from './activityStep.js';

/** The activities the worker registers, bound to their dependencies. */
export function createActivities(ctx: ActivityContext) {
  return {
    createAuthorizationRequest: (input: CreateAuthorizationRequestInput) => createAuthorizationRequest(ctx, input),
    exchangeCodeAndSave: (input: { authorizationRequestId: string; callback: CallbackParameters }) =>
      exchangeCodeAndSave(ctx, input),
    activateImport: (input: { connectionId: string; importId: string }) => activateImport(ctx, input),
    markRequestExpired: (authorizationRequestId: string) => markRequestExpired(ctx, authorizationRequestId),
    markRequestFailed: (authorizationRequestId: string, error: { error: string; error_description: string | null }) =>
      markRequestFailed(ctx, authorizationRequestId, error),
    refreshTokens: (input: { connectionId: string; plannedAt?: number }) => refreshTokens(ctx, input, currentStep()),
    recordRefreshThrottled: (input: Parameters<typeof recordRefreshThrottled>[1]) => recordRefreshThrottled(ctx, input),
    disconnectConnection: (input: { connectionId: string }) =>
      disconnectConnection(ctx, input, { attempt: activityInfo().attempt, signal: cancellationSignal() }),
    restartMissingConnectionWorkflows: () => restartMissingConnectionWorkflows(ctx),
    pruneExpiredEvents: () => pruneExpiredEvents(ctx),
  };
}

export type ConnectionActivities = ReturnType<typeof createActivities>;
