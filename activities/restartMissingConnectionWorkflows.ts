import { heartbeat } from '@temporalio/activity';
import { timingForProvider } from '../lib/providers/timingForProvider.js';
import { savedConnectionStartOptions } from '../lib/temporal/connectionWorkflowStart.js';
import { connectionWorkflow } from '../workflows/connectionWorkflow.js';
import type { ActivityContext } from './activityContext.js';

/**
 * The refresh-audit: every active (or needs_reauth) connection must have its workflow running. Lists
 * the running ones (visibility), and starts the workflow of each connection missing from that list
 * (USE_EXISTING, so a listing that lags behind never starts a second one).
 */
export async function restartMissingConnectionWorkflows(
  ctx: ActivityContext,
): Promise<{ checked: number; restarted: string[] }> {
  const running = new Set<string>();
  const query = `WorkflowType = '${connectionWorkflow.name}' AND ExecutionStatus = 'Running'`;
  for await (const execution of ctx.temporal.workflow.list({ query })) running.add(execution.workflowId);

  let checked = 0;
  const restarted: string[] = [];
  const cursor = ctx.store.connections.find({ status: { $in: ['active', 'needs_reauth'] } }).sort({ _id: 1 });
  for await (const doc of cursor) {
    checked++;
    if (checked % 100 === 0) heartbeat(checked);
    const timing = timingForProvider(ctx.timing, ctx.catalog.get(doc.provider));
    const options = savedConnectionStartOptions(doc, timing, ctx.taskQueue);
    if (running.has(options.workflowId)) continue;
    // USE_EXISTING: if the listing lagged and the workflow runs after all, this starts nothing.
    await ctx.temporal.workflow.start(connectionWorkflow, options);
    restarted.push(doc._id);
  }
  return { checked, restarted };
}
