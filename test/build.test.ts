import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { EncryptionCodec } from '../lib/temporal/encryptionCodec.js';
import { keyRing } from './support/testStack.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const built = (file: string) => new URL(`../.build/${file}`, import.meta.url);
const fixtures = new URL('./fixtures/histories/', import.meta.url);

/** The packages a compiled ES module imports (node: built-ins left out). */
function importedPackages(code: string): string[] {
  const specifiers = [...code.matchAll(/\bfrom\s*"([^"]+)"|\bimport\s*\(?\s*"([^"]+)"/g)].map((m) => m[1] ?? m[2]!);
  const packages = specifiers
    .filter((s) => !s.startsWith('node:') && !s.startsWith('.'))
    .map((s) =>
      s
        .split('/')
        .slice(0, s.startsWith('@') ? 2 : 1)
        .join('/'),
    );
  return [...new Set(packages)].sort();
}

/**
 * `npm run build` makes what the image runs: entrypoints that need only the production dependencies
 * (the image installs with --omit=dev) and the workflow bundle the worker loads by path.
 */
describe('npm run build', () => {
  beforeAll(async () => {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: repoRoot });
  }, 120_000);

  it('compiles the API, the worker and the two CLIs to import production dependencies only', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const code = Object.fromEntries(
      ['api', 'worker', 'token', 'keys'].map((name) => [name, readFileSync(built(`${name}.js`), 'utf8')]),
    );
    expect(importedPackages(code.api!)).toContain('fastify');
    expect(importedPackages(code.worker!)).toContain('@temporalio/worker');
    const notShipped = Object.entries(code).flatMap(([name, text]) => [
      ...importedPackages(text)
        .filter((p) => !(p in manifest.dependencies))
        .map((p) => `${name}.js imports ${p}`),
      // e.g. a child process started with `--import tsx`
      ...Object.keys(manifest.devDependencies)
        .filter((p) => text.includes(`"${p}"`) || text.includes(`"${p}/`))
        .map((p) => `${name}.js names ${p}`),
    ]);
    expect(notShipped).toEqual([]);
  });

  it('writes a workflow bundle that replays the recorded connection histories', async () => {
    const options = {
      workflowBundle: { codePath: fileURLToPath(built('workflow-bundle.js')) },
      dataConverter: { payloadCodecs: [new EncryptionCodec(keyRing)] },
    };
    const recorded = readdirSync(fixtures).filter((f) => f.endsWith('.json'));
    expect(recorded.length).toBeGreaterThan(0);
    for (const file of recorded) {
      const history: unknown = JSON.parse(readFileSync(new URL(file, fixtures), 'utf8'));
      await expect(Worker.runReplayHistory(options, history, file)).resolves.toBeUndefined();
    }
  });
});
