import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../config.js';

export const REFRESH_AUDIT_SCHEDULE_ID = 'refresh-audit';

/** Creates the `refresh-audit` schedule (visible in the Temporal UI) unless it exists. Safe at every worker start. */
export async function ensureRefreshAuditSchedule(
  temporal: Client,
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'CONNECTFLOW_AUDIT_INTERVAL_SECONDS'>,
): Promise<void> {
  try {
    await temporal.schedule.create({
      scheduleId: REFRESH_AUDIT_SCHEDULE_ID,
      spec: { intervals: [{ every: `${config.CONNECTFLOW_AUDIT_INTERVAL_SECONDS}s` }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'refreshAuditWorkflow',
        workflowId: 'refresh-audit-run',
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      memo: { purpose: 'restarts the workflow of any active connection whose workflow is not running' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
