import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Filter } from 'mongodb';
import { z } from 'zod';
import { publicEvent } from '../../lib/events/publicEvent.js';
import { EVENT_TYPES, type ConnectionEventDoc } from '../../lib/store/documents.js';
import type { ApiContext } from '../ApiContext.js';
import { callerOf, requireScope } from '../auth/authenticate.js';
import { HttpError } from '../errors/HttpError.js';
import { errorResponses } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';
import { eventCursor, parseEventCursor } from './eventCursor.js';

const EventsQuery = z.object({
  connection_id: z.string().min(1).max(128).optional(),
  type: z.enum(EVENT_TYPES).optional(),
  after: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const EventView = z.object({
  id: z.string(),
  type: z.enum(EVENT_TYPES),
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
});

const EventPage = z.object({
  items: z.array(EventView),
  /** pass as `after` for the events after these (the same cursor again when there were none) */
  next_cursor: z.string().nullable(),
});

/** The account's events, oldest first, in pages that follow one another by cursor. */
export const eventsRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  app.get(
    '/events',
    {
      preValidation: requireScope('connection:read'),
      schema: {
        ...operation("The account's events, newest last (cursor-paged)", 'connection:read'),
        querystring: EventsQuery,
        response: {
          200: EventPage,
          ...errorResponses({
            400: 'bad input',
            401: 'no or unknown token',
            403: "missing scope, or an end user's token",
          }),
        },
      },
    },
    async (request) => {
      const { query } = request;
      const caller = callerOf(request);
      // The feed is the account's (every end user's connections): not for a token of one end user.
      if (caller.userId !== null)
        throw new HttpError(
          403,
          'forbidden',
          "events are the account's feed; a token bound to an end user cannot read them",
        );
      const filter: Filter<ConnectionEventDoc> = { accountId: caller.accountId };
      if (query.connection_id) filter.connectionId = query.connection_id;
      if (query.type) filter.type = query.type;
      if (query.after) {
        const { at, id } = parseEventCursor(query.after);
        filter.$or = [{ at: { $gt: at } }, { at, _id: { $gt: id } }];
      }
      const docs = await ctx.store.events.find(filter).sort({ at: 1, _id: 1 }).limit(query.limit).toArray();
      const last = docs.at(-1);
      return { items: docs.map(publicEvent), next_cursor: last ? eventCursor(last) : (query.after ?? null) };
    },
  );
};
