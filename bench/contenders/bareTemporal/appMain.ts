import { randomUUID } from 'node:crypto';
import { Client, Connection, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError, defaultPayloadConverter, type Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { z } from 'zod';
import { NewRequest, contenderApp } from '../contenderApp.js';
import { readBareConfig } from './config.js';
import { type BareOutcome, callbackUpdate, issueUpdate } from './messages.js';
import type { bareFlowWorkflow } from './workflows.js';

/**
 * The bare-Temporal contender's HTTP side: the same three endpoints as connectflow (so the driver is
 * identical), each one Temporal call and nothing else: no database, no provider call, no payload
 * encryption, a fixed Bearer token compared in memory. pull_id and state are the flow id.
 */
const temporal_ = proto.temporal;
const config = readBareConfig();
const temporal = new Client({
  connection: await Connection.connect({ address: config.temporalAddress }),
  namespace: config.namespace,
});
const authorizationEndpoint = new URL('/auth', config.issuer).href;
const workflowId = (flowId: string) => `bare/${flowId}`;

const app = contenderApp(config.apiToken);

app.post('/api/oauth2', async (request) => {
  const body = NewRequest.parse(request.body);
  const flowId = randomUUID();
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof bareFlowWorkflow>('bareFlowWorkflow', {
    workflowId: workflowId(flowId),
    taskQueue: config.taskQueue,
    workflowIdConflictPolicy: 'FAIL',
    args: [
      {
        flowId,
        validitySeconds: body.validity_duration,
        authorizationEndpoint,
        clientId: config.clientId,
        redirectUri: config.redirectUri,
        scope: 'read',
      },
    ],
  });
  const issued = await temporal.workflow.executeUpdateWithStart(issueUpdate, { startWorkflowOperation });
  return { pull_id: flowId, auth_uri: issued.authUri, expires_at: issued.expiresAt };
});

const Callback = z.object({ state: z.string().uuid(), code: z.string().optional(), error: z.string().optional() });
app.get('/oauth2/callback', async (request, reply) => {
  const query = Callback.safeParse(request.query);
  if (!query.success) return reply.code(400).send({ connected: false, error: 'invalid_request' });
  try {
    const outcome = await temporal.workflow.getHandle(workflowId(query.data.state)).executeUpdate(callbackUpdate, {
      args: [{ state: query.data.state, code: query.data.code ?? null, error: query.data.error ?? null }],
    });
    if (!outcome.connected) return reply.code(422).send(outcome);
    return { connected: true, connection_id: outcome.connectionId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError) {
      return reply.code(409).send({ connected: false, error: 'already_used' });
    }
    throw err;
  }
});

const Credentials = z.object({ pull_id: z.string().uuid() });
app.post('/api/oauth2/credentials', async (request, reply) => {
  const { pull_id } = Credentials.parse(request.body);
  // One server call, no worker: the close event of the flow's workflow, if it has closed.
  let events;
  try {
    const { history } = await temporal.workflowService.getWorkflowExecutionHistory({
      namespace: config.namespace,
      execution: { workflowId: workflowId(pull_id) },
      waitNewEvent: false,
      historyEventFilterType: temporal_.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    });
    events = history?.events ?? [];
  } catch (err) {
    if ((err as { code?: number }).code === 5) return reply.code(404).send({ error: 'not_found' }); // gRPC NOT_FOUND
    throw err;
  }
  const completed = events.find(
    (e) => e.workflowExecutionCompletedEventAttributes,
  )?.workflowExecutionCompletedEventAttributes;
  if (!completed) {
    if (events.length) return reply.code(422).send({ error: 'failed' });
    return reply.code(202).send({ status: 'pending' });
  }
  const outcome = defaultPayloadConverter.fromPayload<BareOutcome>(completed.result!.payloads![0] as Payload);
  if (!outcome.connected) return reply.code(422).send(outcome);
  return {
    status: 200,
    connection_id: outcome.connectionId,
    access_token: 'bare-temporal-no-provider-call',
    token_type: 'Bearer',
    expires_at: null,
  };
});

await app.listen({ host: '127.0.0.1', port: config.port });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(
    signal,
    () =>
      void app
        .close()
        .then(() => temporal.connection.close())
        .then(() => process.exit(0)),
  );
}
