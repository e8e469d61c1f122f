import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { build } from 'esbuild';
import { WORKFLOW_BUNDLE_PATH, WORKFLOWS_SOURCE_PATH } from '../worker/workflowCode.js';

/**
 * `npm run build`: what ships, into `.build/`, runnable on plain `node` with production dependencies
 * only: the API, the worker and the two command-line tools as one ES module each (packages left as
 * imports, source maps beside them), and the workflow bundle the worker loads. The dev stack runs
 * this at every start; the image runs it once.
 */
const ENTRIES = {
  api: 'api/main.ts',
  worker: 'worker/main.ts',
  token: 'scripts/cli/token.ts',
  keys: 'scripts/cli/keys.ts',
};

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const outdir = join(repoRoot, '.build');
mkdirSync(outdir, { recursive: true });
const [compiled, bundle] = await Promise.all([compileEntries(), bundleWorkflows()]);
// Maps first: a compiled file is only renamed into place once its map is there.
for (const file of compiled.filter((f) => f.path.endsWith('.map'))) writeAtomically(file.path, file.contents);
for (const file of compiled.filter((f) => !f.path.endsWith('.map'))) writeAtomically(file.path, file.contents);
writeAtomically(WORKFLOW_BUNDLE_PATH, bundle);
for (const name of Object.keys(ENTRIES)) console.log(`${name}: ${join(outdir, `${name}.js`)}`);
console.log(`workflows: ${WORKFLOW_BUNDLE_PATH}`);

/**
 * esbuild, one file per entry. `.build/` sits one level below the repository root like `api/` and
 * `worker/`, so paths the code builds from `import.meta.url` ('../catalog/…') mean the same compiled or not.
 */
async function compileEntries() {
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: ENTRIES,
    outdir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles;
}

/** Temporal's webpack bundle of workflows/index.ts (source map inline), as the worker's `workflowBundle.codePath`. */
async function bundleWorkflows(): Promise<string> {
  const quiet = (): void => undefined;
  const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_SOURCE_PATH, logger });
  return code;
}

/** Under a temporary name, then renamed: stacks started side by side never load a half-written file. */
function writeAtomically(path: string, contents: string | Uint8Array): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}`);
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}
