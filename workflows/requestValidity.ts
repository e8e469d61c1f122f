import type { OAuthRequestStatus } from '../lib/store/documents.js';

/** Whether an authorization request's validity has passed at `nowMs`: its timer fires at `expiresAtMs` exactly. */
export const validityPassed = (expiresAtMs: number, nowMs: number): boolean => nowMs >= expiresAtMs;

/**
 * Whether a stored authorization request is expired: its workflow marked it so, or it still waits for
 * its callback (`pending`) past its validity (the workflow's timer may not have fired yet). A request
 * whose callback was accepted in time is not expired, however long its exchange takes.
 */
export function isRequestExpired(request: { status: OAuthRequestStatus; expiresAt: Date }, nowMs: number): boolean {
  if (request.status === 'expired') return true;
  return request.status === 'pending' && validityPassed(request.expiresAt.getTime(), nowMs);
}
