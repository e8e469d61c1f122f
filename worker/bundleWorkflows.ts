import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';

const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const quiet = (): void => undefined;
const quietLogger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

/**
 * The workflow bundle, made by webpack in a short-lived child process: bundling in the worker itself
 * leaves about 100 MiB of webpack's memory in the worker's RSS for the rest of its life.
 */
export async function bundleWorkflowsInChild(): Promise<{ code: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'connectflow-bundle-'));
  const out = join(dir, 'workflows.js');
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), out], { maxBuffer: 16 * 1024 * 1024 });
    return { code: readFileSync(out, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// As a child process: `node --import tsx worker/bundleWorkflows.ts <out.js>`.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: bundleWorkflows.ts <out.js>');
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  writeFileSync(out, code);
}
