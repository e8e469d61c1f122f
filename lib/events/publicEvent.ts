import type { ConnectionEventDoc, EventType } from '../store/documents.js';

/** An event as clients see it, in GET /api/events and (without `id`, which is the webhook-id) in webhook bodies. */
export interface PublicEvent {
  id: string;
  type: EventType;
  timestamp: string;
  data: Record<string, unknown>;
}

export function publicEvent(doc: ConnectionEventDoc): PublicEvent {
  return {
    id: doc._id,
    type: doc.type,
    timestamp: doc.at.toISOString(),
    data: { connection_id: doc.connectionId, provider: doc.provider, ...doc.details },
  };
}

/** The Standard Webhooks body of a message: `{type, timestamp, data}`. */
export function webhookPayload(message: { type: EventType | 'ping'; timestamp: string; data: object }): string {
  return JSON.stringify({ type: message.type, timestamp: message.timestamp, data: message.data });
}
