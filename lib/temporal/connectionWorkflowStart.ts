import type { WorkflowStartOptions } from '@temporalio/client';
import type { RefreshTiming } from '../config.js';
import { tokenClockOf } from '../store/tokenClock.js';
import type { ConnectionDoc } from '../store/documents.js';
import type { ConnectionWorkflowInput, WorkflowStatus } from '../../workflows/connectionMessages.js';
import type { connectionWorkflow } from '../../workflows/connectionWorkflow.js';
import {
  AccountIdAttribute,
  ConnectionIdAttribute,
  ConnectionStatusAttribute,
  IntegrationIdAttribute,
  OwnerIdAttribute,
  ProviderAttribute,
  connectionWorkflowId,
} from './names.js';

type StartOptions = WorkflowStartOptions<typeof connectionWorkflow> & {
  workflowIdConflictPolicy: 'FAIL' | 'USE_EXISTING';
};

/** How every connection workflow is started: its id, queue and searchable attributes. */
export function connectionWorkflowStartOptions(
  input: ConnectionWorkflowInput,
  taskQueue: string,
  status: WorkflowStatus,
  conflict: 'FAIL' | 'USE_EXISTING',
): StartOptions {
  return {
    workflowId: connectionWorkflowId(input.connectionId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: conflict,
    typedSearchAttributes: [
      { key: ConnectionIdAttribute, value: input.connectionId },
      { key: ProviderAttribute, value: input.provider },
      { key: AccountIdAttribute, value: input.accountId },
      { key: ConnectionStatusAttribute, value: status },
      ...(input.integrationId ? [{ key: IntegrationIdAttribute, value: input.integrationId }] : []),
      ...(input.ownerId ? [{ key: OwnerIdAttribute, value: input.ownerId }] : []),
    ],
  };
}

/**
 * The workflow of a saved connection, started from its document when none is running (after an
 * operator terminated it, a data restore, ...); with USE_EXISTING a running one is used as is.
 */
export function savedConnectionStartOptions(
  doc: ConnectionDoc,
  timing: RefreshTiming,
  taskQueue: string,
): StartOptions {
  const status = doc.status === 'needs_reauth' ? 'needs_reauth' : 'active';
  return connectionWorkflowStartOptions(
    {
      connectionId: doc._id,
      accountId: doc.accountId,
      provider: doc.provider,
      timing,
      integrationId: doc.integrationId ?? null,
      ownerId: doc.ownerId ?? null,
      saved: {
        status,
        ...tokenClockOf(doc),
        lastRefreshedAt: doc.lastRefreshedAt?.toISOString() ?? null,
        recentRefreshes: [],
        refreshPausedUntil: null,
      },
    },
    taskQueue,
    status,
    'USE_EXISTING',
  );
}
