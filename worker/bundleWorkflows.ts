import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** By path from this module, which is `worker/bundleWorkflows.ts` or part of `.build/worker.js`: both one level below the root. */
const childScript = fileURLToPath(new URL('../worker/writeWorkflowBundle.ts', import.meta.url));

/**
 * The workflow bundle, made by webpack in a short-lived child process: bundling in the worker itself
 * would keep webpack's memory in the worker's RSS for the rest of its life (docs/performance.md).
 */
export async function bundleWorkflowsInChild(): Promise<{ code: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'connectflow-bundle-'));
  const out = join(dir, 'workflows.js');
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', childScript, out], { maxBuffer: 16 * 1024 * 1024 });
    return { code: readFileSync(out, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
