import { createHash } from 'node:crypto';
import type { EventType } from '../store/documents.js';

/**
 * An event's id, derived from its type and what caused it (the connection, and e.g. the activity
 * attempt or the authorization request): the same cause met again, as by a retried activity, names
 * the same event, so it is written and delivered once. Also the `webhook-id` of its deliveries.
 */
export function eventId(type: EventType, ...cause: string[]): string {
  const digest = createHash('sha256')
    .update([type, ...cause].join('\n'))
    .digest('base64url');
  return `evt_${digest.slice(0, 27)}`;
}
