import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { waitFor } from './waitFor.js';

/**
 * Ready when a worker (whose identity starts with `identityPrefix`, if given) polls the task queue,
 * for workflow tasks unless `kind` says activity tasks.
 */
export async function waitForPoller(
  address: string,
  namespace: string,
  taskQueue: string,
  identityPrefix = '',
  kind: 'workflow' | 'activity' = 'workflow',
): Promise<void> {
  const { TaskQueueType } = proto.temporal.api.enums.v1;
  const connection = await Connection.connect({ address });
  try {
    await waitFor(
      `a worker${identityPrefix ? ` (${identityPrefix})` : ''} polling ${taskQueue} for ${kind} tasks`,
      async () => {
        const res = await connection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue },
          taskQueueType:
            kind === 'workflow' ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        });
        return (res.pollers ?? []).some((p) => (p.identity ?? '').startsWith(identityPrefix));
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
  } finally {
    await connection.close();
  }
}
