import { defineSearchAttributeKey, SearchAttributeType, type TypedSearchAttributes } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';

/** Temporal's own list of the build IDs that ran a workflow (a predefined attribute clients may set). */
const BuildIdsAttribute = defineSearchAttributeKey('BuildIds', SearchAttributeType.KEYWORD_LIST);

/**
 * The search attributes a continued run starts with: this run's (what continueAsNew copies anyway)
 * plus the `BuildIds` the server would add when the new run's first workflow task completes.
 *
 * The server records the completing worker's build ID in `BuildIds` (for an unversioned worker:
 * `unversioned` and `unversioned:<build id>`); a run that starts without it gets a search-attribute
 * change and so a visibility write of its own on that first task. Every refresh is a run, so that
 * was one write per refresh on the visibility store. Started with the value the server computes, the
 * new run has nothing to add. A run picked up by a worker of another build gets its upsert as before.
 * `currentBuildId` is the worker's build ID (or the recorded one on replay): deterministic.
 */
export function nextRunSearchAttributes(): TypedSearchAttributes {
  const info = workflowInfo();
  const current = info.typedSearchAttributes;
  const buildId = info.currentBuildId;
  if (!buildId) return current;
  return current.updateCopy([{ key: BuildIdsAttribute, value: ['unversioned', `unversioned:${buildId}`] }]);
}
