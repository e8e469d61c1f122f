import { activityInfo } from '@temporalio/activity';

/** Which activity execution is running: stable across its retries (`id`), and which try this is. */
export interface ActivityStep {
  id: string;
  attempt: number;
}

export function currentStep(): ActivityStep {
  const info = activityInfo();
  return { id: `${info.workflowExecution?.runId ?? info.workflowType}/${info.activityId}`, attempt: info.attempt };
}
