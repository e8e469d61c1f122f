import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { RefreshTiming } from '../../lib/config.js';
import { newPullId } from '../../lib/store/pullId.js';
import { connectionWorkflowStartOptions } from '../../lib/temporal/connectionWorkflowStart.js';
import { issueAuthorizationUpdate, type AuthorizationRequestOptions } from '../../workflows/connectionMessages.js';
import { connectionWorkflow } from '../../workflows/connectionWorkflow.js';

export interface NewConnectionFlow extends Omit<AuthorizationRequestOptions, 'authorizationRequestId'> {
  accountId: string;
  provider: string;
}

/** A new connection's first authorization request, as the API hands it out. */
export interface NewAuthorization {
  connectionId: string;
  pullId: string;
  authUri: string;
  expiresAt: string;
}

/**
 * Mints the connection id and the pull_id, starts `connection/<id>` and, in the same call
 * (update-with-start), gets the auth_uri. The API calls this with validated input; tests call it
 * directly for short validity windows.
 */
export async function startConnectionFlow(
  temporal: Client,
  taskQueue: string,
  timing: RefreshTiming,
  flow: NewConnectionFlow,
): Promise<NewAuthorization> {
  const connectionId = randomUUID();
  const { pullId, authorizationRequestId } = newPullId();
  const { accountId, provider, ...options } = flow;
  const authorize = { authorizationRequestId, ...options };
  const attributes = { integrationId: options.integrationId ?? null, ownerId: options.ownerId ?? null };
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof connectionWorkflow>(
    connectionWorkflow,
    connectionWorkflowStartOptions(
      { connectionId, accountId, provider, timing, ...attributes, authorize },
      taskQueue,
      'pending',
      'FAIL',
    ),
  );
  const issued = await temporal.workflow.executeUpdateWithStart(issueAuthorizationUpdate, { startWorkflowOperation });
  return { connectionId, pullId, authUri: issued.authUri, expiresAt: issued.expiresAt };
}
