import { proxyActivities } from '@temporalio/workflow';
import type { ConnectionActivities } from '../activities/createActivities.js';

const { restartMissingConnectionWorkflows, pruneExpiredEvents } = proxyActivities<ConnectionActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/**
 * Run by the `refresh-audit` schedule: restarts the workflow of any active connection that lost it,
 * and prunes events past their retention.
 */
export async function refreshAuditWorkflow(): Promise<{
  checked: number;
  restarted: string[];
  pruned: { events: number; deliveries: number };
}> {
  const audit = await restartMissingConnectionWorkflows();
  return { ...audit, pruned: await pruneExpiredEvents() };
}
