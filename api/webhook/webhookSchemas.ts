import { z } from 'zod';
import { DELIVERY_STATUSES, EVENT_TYPES, type EventType, type WebhookDoc } from '../../lib/store/documents.js';

/** What an endpoint receives unless it says otherwise: everything but the frequent `connection.refreshed`. */
export const DEFAULT_WEBHOOK_EVENTS: EventType[] = EVENT_TYPES.filter((t) => t !== 'connection.refreshed');

export const WebhookBody = z.object({
  url: z.url({ protocol: /^https?$/ }).max(2048),
  /** the event types to send (default: all but connection.refreshed); `ping` is always sent */
  events: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length).optional(),
});

export const WebhookView = z.object({
  url: z.string(),
  events: z.array(z.enum(EVENT_TYPES)),
  /** set when a message was refused for the whole retry window; PUT again to resume */
  paused_at: z.string().nullable(),
  paused_reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** The view with the signing secret: answered once, when the secret is made (registration or rotation). */
export const WebhookWithSecret = WebhookView.extend({
  secret: z.string().describe('the Standard Webhooks signing secret (whsec_...); shown only now'),
});

export const webhookView = (doc: WebhookDoc): z.infer<typeof WebhookView> => ({
  url: doc.url,
  events: doc.events,
  paused_at: doc.disabledAt?.toISOString() ?? null,
  paused_reason: doc.disabledReason,
  created_at: doc.createdAt.toISOString(),
  updated_at: doc.updatedAt.toISOString(),
});

export const DeliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const DeliveryView = z.object({
  id: z.string().describe('the webhook-id of every attempt (the event id)'),
  type: z.string(),
  connection_id: z.string().nullable(),
  status: z.enum(DELIVERY_STATUSES),
  failure: z.string().nullable(),
  created_at: z.string(),
  attempts: z.array(
    z.object({
      at: z.string(),
      status_code: z.number().int().nullable(),
      duration_ms: z.number().int(),
      error: z.string().nullable(),
    }),
  ),
});
