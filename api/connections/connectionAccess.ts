import { refreshTiming } from '../../lib/config.js';
import type { ConnectionDoc } from '../../lib/store/documents.js';
import { readCredentials } from '../../lib/store/readCredentials.js';
import { findConnection, renameConnection } from '../../lib/store/connections.js';
import { refreshUpdate, type WorkflowStatus } from '../../workflows/connectionMessages.js';
import { withinCoalescingWindow } from '../../workflows/refreshCoalescing.js';
import type { ApiContext } from '../ApiContext.js';
import type { Caller } from '../auth/authenticate.js';
import { HttpError, notFound } from '../errors/HttpError.js';
import { Singleflight } from '../../lib/Singleflight.js';
import { updateConnectionWorkflow } from './updateConnectionWorkflow.js';

export const credentialsNotFromFlow = () =>
  new HttpError(
    422,
    'credentials_not_from_flow',
    "credentials with a connection_id must be that connection's, as POST /api/oauth2/credentials returned them; to import tokens obtained elsewhere, send them without connection_id",
  );

/** Who looks at a connection: an account, and the end user a user-bound token acts for. */
export type Viewer = Pick<Caller, 'accountId' | 'userId'>;

/** An account's tokens see its connections; a user-bound token only its own user's (shared ones through integrations). */
export function visibleTo(doc: Pick<ConnectionDoc, 'accountId' | 'ownerId'>, caller: Viewer): boolean {
  if (doc.accountId !== caller.accountId) return false;
  return caller.userId === null || doc.ownerId === caller.userId;
}

/** A refresh's outcome and the document read after it. */
interface Refreshed {
  status: WorkflowStatus;
  doc: ConnectionDoc | null;
}

/** What the connections routes do to a caller's connection: find it, refresh it, check and rename it. */
export function connectionAccess(ctx: ApiContext) {
  // Simultaneous requests for one connection share its read and its refresh (one lookup, one workflow
  // update, one read of the refreshed document).
  const reads = new Singleflight<ConnectionDoc | null>();
  const refreshes = new Singleflight<Refreshed>();

  const findOwned = async (caller: Viewer, id: string): Promise<ConnectionDoc> => {
    // By _id alone (the store's fast path); the owner and status are checked here.
    const doc = await reads.run(id, () => findConnection(ctx.store, id));
    return owned(doc, caller);
  };
  const owned = (doc: ConnectionDoc | null, caller: Viewer): ConnectionDoc => {
    if (!doc || !visibleTo(doc, caller) || doc.status === 'deleted') throw notFound('connection');
    return doc;
  };
  const timing = refreshTiming(ctx.config);
  /**
   * Refreshes (coalesced in this process and again in the workflow), then reads the document it saved.
   * A connection refreshed within the coalescing window is answered as stored: the workflow would
   * answer that refresh too (same rule, judged by the document's lastRefreshedAt), without the round trip.
   */
  const refreshNow = async (doc: ConnectionDoc): Promise<Refreshed> => {
    if (doc.status === 'active' && withinCoalescingWindow(doc.lastRefreshedAt?.getTime(), Date.now(), timing)) {
      return { status: doc.status, doc };
    }
    return refreshes.run(doc._id, async () => {
      const { status } = await updateConnectionWorkflow(ctx, doc, refreshUpdate);
      // Read after the refresh settled (never joining a read begun before it): the new tokens.
      return { status, doc: await findConnection(ctx.store, doc._id) };
    });
  };

  /**
   * POST .../refresh: a request that arrives while a refresh of the connection is in flight joins it
   * without reading the connection first (the refresh's own read, made after it, checks the owner).
   */
  const refreshOwned = async (caller: Viewer, id: string): Promise<Refreshed> => {
    const inFlight = refreshes.joining(id);
    if (!inFlight) return refreshNow(await findOwned(caller, id));
    const refreshed = await inFlight;
    owned(refreshed.doc, caller);
    return refreshed;
  };

  /** The credentials must be this connection's own (same id, same tokens when given). */
  const checkCredentials = (
    doc: ConnectionDoc,
    credentials: { connection_id?: string; access_token?: string; refresh_token?: string },
  ) => {
    if (credentials.connection_id !== undefined && credentials.connection_id !== doc._id)
      throw credentialsNotFromFlow();
    if (credentials.access_token === undefined && credentials.refresh_token === undefined) return;
    const stored = readCredentials(ctx.keyRing, doc);
    const sameAccess = credentials.access_token === undefined || credentials.access_token === stored.access_token;
    const sameRefresh = credentials.refresh_token === undefined || credentials.refresh_token === stored.refresh_token;
    if (!sameAccess || !sameRefresh) throw credentialsNotFromFlow();
  };

  const rename = (doc: ConnectionDoc, name: string): Promise<ConnectionDoc> => renameConnection(ctx.store, doc, name);

  const saved = (doc: ConnectionDoc) => ({
    _id: doc._id,
    cross_id: doc._id,
    connection_name: doc.name,
    message: 'connection saved',
  });

  return { findOwned, owned, refreshNow, refreshOwned, checkCredentials, rename, saved };
}
