import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { IssuedAuthorization } from '../../activities/createAuthorizationRequest.js';
import type { RefreshTiming } from '../../lib/config.js';
import { connectionWorkflowStartOptions } from '../../lib/temporal/connectionWorkflowStart.js';
import { issueAuthorizationUpdate, type AuthorizationRequestOptions } from '../../workflows/connectionMessages.js';
import { connectionWorkflow } from '../../workflows/connectionWorkflow.js';

export interface NewConnectionFlow extends AuthorizationRequestOptions {
  accountId: string;
  provider: string;
}

/**
 * Starts `connection/<id>` and, in the same call (update-with-start), gets its pull_id and auth_uri.
 * The API calls this with validated input; tests call it directly for short validity windows.
 */
export async function startConnectionFlow(
  temporal: Client,
  taskQueue: string,
  timing: RefreshTiming,
  flow: NewConnectionFlow,
): Promise<IssuedAuthorization & { connectionId: string }> {
  const connectionId = randomUUID();
  const { accountId, provider, ...authorize } = flow;
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof connectionWorkflow>(
    connectionWorkflow,
    connectionWorkflowStartOptions(
      { connectionId, accountId, provider, timing, authorize },
      taskQueue,
      'pending',
      'FAIL',
    ),
  );
  const issued = await temporal.workflow.executeUpdateWithStart(issueAuthorizationUpdate, { startWorkflowOperation });
  return { ...issued, connectionId };
}
