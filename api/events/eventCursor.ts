import type { ConnectionEventDoc } from '../../lib/store/documents.js';
import { HttpError } from '../errors/HttpError.js';

/** Where a page of events ended: the `(at, _id)` of its last event, opaque to clients. */
export function eventCursor(event: Pick<ConnectionEventDoc, '_id' | 'at'>): string {
  return Buffer.from(JSON.stringify([event.at.getTime(), event._id])).toString('base64url');
}

export function parseEventCursor(cursor: string): { at: Date; id: string } {
  try {
    const [ms, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof ms === 'number' && Number.isSafeInteger(ms) && typeof id === 'string') return { at: new Date(ms), id };
  } catch {
    // not a cursor this API made: answered below
  }
  throw new HttpError(400, 'bad_request', 'after must be a next_cursor from an earlier GET /api/events');
}
