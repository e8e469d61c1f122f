import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** By path from this module, which is `worker/workflowCode.ts` or part of `.build/worker.js`: both one level below the root. */
export const WORKFLOW_BUNDLE_PATH = fileURLToPath(new URL('../.build/workflow-bundle.js', import.meta.url));
export const WORKFLOWS_SOURCE_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * The worker's workflow code: the bundle `npm run build` wrote (in the image, and at every start of
 * the dev stack), or, without one, webpack bundling the sources as the worker starts (a worker run
 * from source; webpack's memory then stays in the worker for its life).
 */
export function workflowCode(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  if (existsSync(WORKFLOW_BUNDLE_PATH)) return { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } };
  if (existsSync(WORKFLOWS_SOURCE_PATH)) return { workflowsPath: WORKFLOWS_SOURCE_PATH };
  throw new Error(`no workflow bundle at ${WORKFLOW_BUNDLE_PATH}: run npm run build`);
}
