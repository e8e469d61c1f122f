import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * `npm run build` in a short-lived child, so that the services the stack starts run what the image
 * would (compiled, with a prebuilt workflow bundle) from the current sources, and webpack's memory
 * leaves with the child.
 */
export async function buildInChild(repoRoot: string): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new Error(`npm run build failed: ${stderr || (err as Error).message}`, { cause: err });
  }
}
