import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

/** MongoDB or Temporal unreachable or overloaded: the request can be retried, so a 503 rather than a 500. */
export function dependencyUnavailable(err: unknown): 'MongoDB' | 'Temporal' | undefined {
  for (
    let e = err as { cause?: unknown; code?: unknown; name?: string } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (
      e instanceof MongoServerSelectionError ||
      e instanceof MongoNetworkError ||
      e instanceof MongoNotConnectedError ||
      e instanceof MongoTopologyClosedError
    ) {
      return 'MongoDB';
    }
    // A write on a connection the server has just closed (FerretDB stopping) fails with Node's own socket
    // error ("This socket has been ended by the other party"), which the driver passes on unwrapped.
    if ((e.code === 'EPIPE' || e.code === 'ECONNRESET') && /[\\/]mongodb[\\/]/.test((e as Error).stack ?? ''))
      return 'MongoDB';
    // FerretDB's SQLite could not get its single write lock (SQLITE_BUSY): overloaded, retry later.
    if (e instanceof MongoServerError && /SQLITE_BUSY|database is locked/.test(e.message)) return 'MongoDB';
    // gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4) from the Temporal frontend
    if ((e.name === 'ServiceError' || 'details' in e || 'metadata' in e) && (e.code === 14 || e.code === 4))
      return 'Temporal';
  }
  return undefined;
}
