import { proxyActivities } from '@temporalio/workflow';
import type { ConnectionActivities } from '../activities/createActivities.js';

const { restartMissingConnectionWorkflows } = proxyActivities<ConnectionActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/** Run by the `refresh-audit` schedule: restarts the workflow of any active connection that lost it. */
export async function refreshAuditWorkflow(): Promise<{ checked: number; restarted: string[] }> {
  return restartMissingConnectionWorkflows();
}
