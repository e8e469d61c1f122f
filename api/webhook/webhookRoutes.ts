import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { randomSecret } from '../../lib/crypto/secretHash.js';
import { webhookPayload } from '../../lib/events/publicEvent.js';
import { assertPublicUrl, UrlNotAllowedError } from '../../lib/net/assertPublicUrl.js';
import type { WebhookDoc } from '../../lib/store/documents.js';
import { isDuplicateKey } from '../../lib/store/isDuplicateKey.js';
import { webhookRetry } from '../../lib/config.js';
import { PING_LANE, queueDelivery } from '../../lib/webhooks/queueDelivery.js';
import { newWebhookSecret, sealWebhookSecret } from '../../lib/webhooks/webhookSecret.js';
import type { ApiContext } from '../ApiContext.js';
import { callerOf, requireScope } from '../auth/authenticate.js';
import { HttpError, notFound } from '../errors/HttpError.js';
import { errorResponses, noBody } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';
import {
  DEFAULT_WEBHOOK_EVENTS,
  DeliveriesQuery,
  DeliveryView,
  WebhookBody,
  WebhookView,
  WebhookWithSecret,
  webhookView,
} from './webhookSchemas.js';

/** The account's webhook endpoint (Standard Webhooks): register, show, rotate its secret, remove, test, deliveries. */
export const webhookRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const { webhooks, webhookDeliveries } = ctx.store;
  const policy = { allowLoopback: ctx.config.NODE_ENV !== 'production' };
  const errors = errorResponses({ 401: 'no or unknown token', 403: 'missing scope', 404: 'no webhook registered' });
  const admin = (summary: string) => ({
    preValidation: requireScope('account:admin'),
    operation: operation(summary, 'account:admin'),
  });

  const findWebhook = async (accountId: string): Promise<WebhookDoc> => {
    const doc = await webhooks.findOne({ _id: accountId });
    if (!doc) throw notFound('webhook');
    return doc;
  };

  const put = admin('Register (or change) the webhook endpoint; a new one answers its secret');
  app.put(
    '/webhook',
    {
      preValidation: put.preValidation,
      schema: {
        ...put.operation,
        body: WebhookBody,
        response: { 200: WebhookView, 201: WebhookWithSecret, ...errors, ...errorResponses({ 400: 'bad input' }) },
      },
    },
    async (request, reply) => {
      const { accountId } = callerOf(request);
      const url = new URL(request.body.url);
      if (url.username || url.password) {
        throw new HttpError(400, 'webhook_url_not_allowed', 'the URL must not carry credentials (use the signature)', {
          reason: 'credentials',
        });
      }
      try {
        await assertPublicUrl(url, policy);
      } catch (err) {
        if (err instanceof UrlNotAllowedError) {
          throw new HttpError(400, 'webhook_url_not_allowed', err.message, { reason: err.reason });
        }
        throw err;
      }
      const now = new Date();
      const settings = { url: url.href, events: request.body.events ?? DEFAULT_WEBHOOK_EVENTS, updatedAt: now };
      // Registering again resumes a paused endpoint and keeps its secret.
      const changed = await webhooks.findOneAndUpdate(
        { _id: accountId },
        { $set: { ...settings, disabledAt: null, disabledReason: null } },
        { returnDocument: 'after' },
      );
      if (changed) return reply.code(200).send(webhookView(changed));
      const secret = newWebhookSecret();
      const created: WebhookDoc = {
        _id: accountId,
        ...settings,
        secret: sealWebhookSecret(ctx.keyRing, accountId, secret),
        disabledAt: null,
        disabledReason: null,
        createdAt: now,
      };
      try {
        await webhooks.insertOne(created);
      } catch (err) {
        // A registration at the same moment won: this one changes it, as if it came second.
        if (!isDuplicateKey(err)) throw err;
        const doc = await webhooks.findOneAndUpdate(
          { _id: accountId },
          { $set: settings },
          { returnDocument: 'after' },
        );
        return reply.code(200).send(webhookView(doc ?? created));
      }
      return reply.code(201).send({ ...webhookView(created), secret });
    },
  );

  const get = admin('The webhook endpoint (without its secret)');
  app.get(
    '/webhook',
    { preValidation: get.preValidation, schema: { ...get.operation, response: { 200: WebhookView, ...errors } } },
    async (request) => webhookView(await findWebhook(callerOf(request).accountId)),
  );

  const rotate = admin('A new signing secret: the next attempt of every message is signed with it');
  app.post(
    '/webhook/rotate_secret',
    {
      preValidation: rotate.preValidation,
      schema: { ...rotate.operation, response: { 200: WebhookWithSecret, ...errors } },
    },
    async (request) => {
      const { accountId } = callerOf(request);
      const secret = newWebhookSecret();
      const doc = await webhooks.findOneAndUpdate(
        { _id: accountId },
        { $set: { secret: sealWebhookSecret(ctx.keyRing, accountId, secret), updatedAt: new Date() } },
        { returnDocument: 'after' },
      );
      if (!doc) throw notFound('webhook');
      return { ...webhookView(doc), secret };
    },
  );

  const remove = admin('Remove the webhook endpoint (messages not yet delivered are dropped)');
  app.delete(
    '/webhook',
    {
      preValidation: remove.preValidation,
      schema: { ...remove.operation, response: { 204: noBody('removed'), ...errors } },
    },
    async (request, reply) => {
      const { accountId } = callerOf(request);
      const removed = await webhooks.findOneAndDelete({ _id: accountId });
      if (!removed) throw notFound('webhook');
      await webhookDeliveries.updateMany(
        { accountId, status: 'pending' },
        { $set: { status: 'failed', failure: 'the endpoint was removed', updatedAt: new Date() } },
      );
      return reply.code(204).send();
    },
  );

  const test = admin('Send a ping to the endpoint');
  app.post(
    '/webhook/test',
    {
      preValidation: test.preValidation,
      schema: {
        ...test.operation,
        response: {
          202: z.object({ delivery_id: z.string() }),
          ...errors,
          ...errorResponses({ 409: 'the endpoint is paused' }),
        },
      },
    },
    async (request, reply) => {
      const { accountId } = callerOf(request);
      const webhook = await findWebhook(accountId);
      if (webhook.disabledAt)
        throw new HttpError(409, 'webhook_paused', 'the endpoint is paused; PUT it again to resume');
      const id = `msg_${randomSecret(16)}`;
      const payload = webhookPayload({
        type: 'ping',
        timestamp: new Date().toISOString(),
        data: { account_id: accountId },
      });
      await queueDelivery(
        {
          store: ctx.store,
          temporal: ctx.temporal,
          taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
          retry: webhookRetry(ctx.config),
        },
        { id, accountId, lane: PING_LANE, type: 'ping', payload },
      );
      return reply.code(202).send({ delivery_id: id });
    },
  );

  const deliveries = admin(
    "The endpoint's latest messages, newest first, with every attempt's status code and duration",
  );
  app.get(
    '/webhook/deliveries',
    {
      preValidation: deliveries.preValidation,
      schema: {
        ...deliveries.operation,
        querystring: DeliveriesQuery,
        response: {
          200: z.object({ items: z.array(DeliveryView) }),
          ...errors,
          ...errorResponses({ 400: 'bad input' }),
        },
      },
    },
    async (request) => {
      const { accountId } = callerOf(request);
      const docs = await webhookDeliveries
        .find({ accountId, ...(request.query.status ? { status: request.query.status } : {}) })
        .sort({ createdAt: -1, _id: -1 })
        .limit(request.query.limit)
        .toArray();
      return {
        items: docs.map((d) => ({
          id: d._id,
          type: d.type,
          connection_id: d.lane === PING_LANE ? null : d.lane,
          status: d.status,
          failure: d.failure,
          created_at: d.createdAt.toISOString(),
          attempts: d.attempts.map((a) => ({
            at: a.at.toISOString(),
            status_code: a.statusCode,
            duration_ms: a.durationMs,
            error: a.error,
          })),
        })),
      };
    },
  );
};
