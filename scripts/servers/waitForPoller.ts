import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { waitFor } from './waitFor.js';

/** Ready when a worker (whose identity starts with `identityPrefix`, if given) polls the task queue for workflow tasks. */
export async function waitForPoller(address: string, namespace: string, taskQueue: string, identityPrefix = ''): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await waitFor(
      `a worker polling ${taskQueue}`,
      async () => {
        const res = await connection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        return (res.pollers ?? []).some((p) => (p.identity ?? '').startsWith(identityPrefix));
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
  } finally {
    await connection.close();
  }
}
