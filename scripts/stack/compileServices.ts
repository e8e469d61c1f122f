import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

/** The processes the stack runs, by entrypoint. */
const SERVICE_ENTRIES = { worker: 'worker/main.ts', api: 'api/main.ts' } as const;
export type ServiceName = keyof typeof SERVICE_ENTRIES;

/**
 * Compiles the worker and API entrypoints into `<repo>/.build/<name>.js` (one ES module each, packages
 * left as imports, source maps beside them), so they run on plain `node`: run through tsx's loader,
 * each process carried ~38 MiB more RSS (the loader's own thread) for its whole life.
 * `.build/` sits one level below the repository root like `worker/` and `api/`, so paths the code
 * builds from `import.meta.url` ('../workflows/…') mean the same compiled or not.
 * Files are written under a temporary name and renamed, so stacks started side by side (test files
 * run in parallel) never load a half-written one. Takes well under a second.
 */
export async function compileServices(repoRoot: string): Promise<Record<ServiceName, string>> {
  const outdir = join(repoRoot, '.build');
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: SERVICE_ENTRIES,
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
  mkdirSync(outdir, { recursive: true });
  // Maps first: a compiled file is only renamed into place once its map is there.
  const outputs = [...result.outputFiles].sort(
    (a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')),
  );
  for (const file of outputs) {
    const temporary = join(outdir, `.${basename(file.path)}.${process.pid}.${Math.random().toString(36).slice(2)}`);
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  const compiled = (name: ServiceName) => join(outdir, `${name}.js`);
  return { worker: compiled('worker'), api: compiled('api') };
}
