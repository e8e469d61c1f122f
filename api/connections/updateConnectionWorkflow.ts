import { ApplicationFailure, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { refreshTiming } from '../../lib/config.js';
import { timingForProvider } from '../../lib/providers/timingForProvider.js';
import type { ConnectionDoc } from '../../lib/store/documents.js';
import { savedConnectionStartOptions } from '../../lib/temporal/connectionWorkflowStart.js';
import { connectionWorkflow } from '../../workflows/connectionWorkflow.js';
import type { ApiContext } from '../ApiContext.js';
import { HttpError } from '../errors/HttpError.js';

/**
 * Sends an update to a saved connection's workflow, starting that workflow from the document first
 * if none is running (update-with-start, USE_EXISTING). A refused update (validator) is a 409.
 */
export async function updateConnectionWorkflow<Ret, Args extends unknown[]>(
  ctx: ApiContext,
  doc: ConnectionDoc,
  update: UpdateDefinition<Ret, Args>,
  ...args: Args
): Promise<Ret> {
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof connectionWorkflow>(
    connectionWorkflow,
    savedConnectionStartOptions(
      doc,
      timingForProvider(refreshTiming(ctx.config), ctx.catalog.get(doc.provider)),
      ctx.config.TEMPORAL_TASK_QUEUE,
    ),
  );
  try {
    return await ctx.temporal.workflow.executeUpdateWithStart(update as UpdateDefinition<Ret, unknown[]>, {
      args,
      startWorkflowOperation,
    });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const reason = err.cause?.message ?? err.message;
      // A refusal the workflow names (needs_reauth) keeps its name; any other is a plain conflict.
      const named = err.cause instanceof ApplicationFailure && err.cause.type === 'needs_reauth';
      throw new HttpError(409, named ? 'needs_reauth' : 'conflict', reason);
    }
    throw err;
  }
}
