import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

/** `node --import tsx worker/writeWorkflowBundle.ts <out.js>`: webpack's bundle of the workflows, for bundleWorkflowsInChild. */
const out = process.argv[2];
if (!out) throw new Error('usage: writeWorkflowBundle.ts <out.js>');
const quiet = (): void => undefined;
const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };
const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const { code } = await bundleWorkflowCode({ workflowsPath, logger });
writeFileSync(out, code);
