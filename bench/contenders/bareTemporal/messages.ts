import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** What the bare-Temporal contender's workflow needs to issue an authorization URL. */
export interface BareFlowInput {
  flowId: string;
  validitySeconds: number;
  authorizationEndpoint: string;
  clientId: string;
  redirectUri: string;
  scope: string;
}

export interface BareIssued {
  authUri: string;
  expiresAt: string;
}

export interface BareCallback {
  state: string;
  code: string | null;
  error: string | null;
}

export type BareOutcome = { connected: true; connectionId: string } | { connected: false; error: string };

/** update-with-start: answers with the auth URL once the authorize activity made it */
export const issueUpdate = defineUpdate<BareIssued>('issue');
/** the provider's redirect; answers with the outcome once the exchange activity ran */
export const callbackUpdate = defineUpdate<BareOutcome, [BareCallback]>('callback');

/** The keepFresh loop's shape: a refresh every `everyMs` from `nextAt` (epoch ms), a new run every `refreshesPerRun`. */
export interface BareRefreshLoopInput {
  nextAt: number;
  everyMs: number;
  refreshesPerRun: number;
  /** refreshes are counted when their activity ran in [countFrom, countUntil) (epoch ms) */
  countFrom: number;
  countUntil: number;
  /** counted by earlier runs */
  countedBefore: number;
}

/** how many of the loop's refreshes ran in the counted span, over all its runs */
export const countedRefreshesQuery = defineQuery<number>('countedRefreshes');
