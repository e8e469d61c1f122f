import type { TokenClock } from '../../workflows/connectionMessages.js';
import type { ConnectionDoc } from './documents.js';

type ClockFields = Pick<
  ConnectionDoc,
  'lastAuthorizedAt' | 'lastRefreshedAt' | 'tokenExpiresAt' | 'refreshTokenExpiresAt'
>;

/** When a stored connection's current tokens were issued: at its last refresh, else its authorization. */
export const tokenIssuedAt = (doc: Pick<ConnectionDoc, 'lastAuthorizedAt' | 'lastRefreshedAt'>): Date =>
  doc.lastRefreshedAt ?? doc.lastAuthorizedAt;

/** The token clock of a stored connection, as the workflow plans by it. */
export const tokenClockOf = (doc: ClockFields): TokenClock => ({
  tokenIssuedAt: tokenIssuedAt(doc).toISOString(),
  tokenExpiresAt: doc.tokenExpiresAt?.toISOString() ?? null,
  refreshTokenExpiresAt: doc.refreshTokenExpiresAt?.toISOString() ?? null,
});
