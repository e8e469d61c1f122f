import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { costCurveSvg } from './costCurve.js';
import { formatReport } from './report.js';
import { runBench, type BenchPart } from './runBench.js';
import { FULL, QUICK, scaleForCapacity, scaleForRunLength, type BenchSizes } from './sizes.js';
import { engineFromEnv } from '../../scripts/dev/stack/startStack.js';

/**
 * `npm run bench [-- --quick] [--parts flows,coalescing,proxy,scale] [--scale-phases 1000,10000] [--engine sqlite|postgres] [--cpu-prof] [--keep-data]`
 * `npm run bench -- --capacity [--window-seconds 180] [--rates 10,20,40,80] [--workers 1,2]`: the sustained refresh capacity
 * `npm run bench -- --parts run-length [--refreshes-per-run 1,5,10,20]`: steady-state refresh cost by run length
 *
 * Starts its own Temporal and FerretDB (on SQLite files, or on PostgreSQL with `--engine postgres`: see
 * startStack), demo providers, connectflow (API + worker) and the two other contenders on free ports in a
 * throw-away data dir; prints one table per part and writes the raw figures to bench/results/<date>.json
 * (<date>-<variant>.json for --quick, --parts, --scale-phases or --engine postgres).
 */
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    parts: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'keep-data': { type: 'boolean', default: false },
    'scale-phases': { type: 'string' },
    capacity: { type: 'boolean', default: false },
    'window-seconds': { type: 'string' },
    rates: { type: 'string' },
    workers: { type: 'string' },
    engine: { type: 'string' },
    'refreshes-per-run': { type: 'string' },
  },
});
const engine = values.engine ?? engineFromEnv();
if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`--engine wants sqlite or postgres, got "${engine}"`);
const parts = values.capacity
  ? (['capacity'] as BenchPart[])
  : (values.parts?.split(',').map((p) => p.trim()) as BenchPart[] | undefined);
for (const p of parts ?? [])
  if (!['flows', 'coalescing', 'proxy', 'scale', 'capacity', 'run-length'].includes(p))
    throw new Error(`unknown part "${p}"`);
const positive = (flag: string, list: string) => {
  const numbers = list.split(',').map((n) => Number(n.trim()));
  if (numbers.some((n) => !(n > 0))) throw new Error(`--${flag} wants positive numbers, got "${list}"`);
  return numbers;
};

const dataDir = mkdtempSync(join(tmpdir(), 'connectflow-bench-'));
let results;
try {
  const base = values.quick ? QUICK : FULL;
  const phases = values['scale-phases']?.split(',').map((n) => Number(n.trim()));
  if (phases?.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--scale-phases wants whole numbers, got "${values['scale-phases']}"`);
  let sizes: BenchSizes = phases ? { ...base, scale: { ...base.scale, phases } } : base;
  if (parts?.includes('capacity')) {
    const capacity = {
      windowSeconds: values['window-seconds']
        ? positive('window-seconds', values['window-seconds'])[0]!
        : sizes.capacity.windowSeconds,
      rates: values.rates ? positive('rates', values.rates) : sizes.capacity.rates,
      workers: values.workers ? positive('workers', values.workers) : sizes.capacity.workers,
    };
    sizes = { ...sizes, capacity };
    sizes = { ...sizes, scale: scaleForCapacity(sizes) };
  }
  if (parts?.includes('run-length')) {
    if (parts.length > 1) throw new Error("--parts run-length runs alone: its short tokens are the whole stack's");
    const refreshesPerRun = values['refreshes-per-run'];
    if (refreshesPerRun)
      sizes = {
        ...sizes,
        runLength: { ...sizes.runLength, refreshesPerRun: positive('refreshes-per-run', refreshesPerRun) },
      };
    sizes = { ...sizes, scale: scaleForRunLength(sizes) };
  }
  results = await runBench({
    sizes,
    dataDir,
    parts,
    cpuProf: values['cpu-prof'],
    stackOptions: { engine, keepData: values['keep-data'] || values['cpu-prof'] },
  });
} finally {
  if (values['keep-data'] || values['cpu-prof']) console.error(`[bench] data, logs and profiles kept in ${dataDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
}
console.log(formatReport(results));

const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
// A run of some parts or other sizes gets its own name, so it never overwrites the day's full run.
const variant = [
  engine === 'postgres' ? 'postgres' : '',
  values.quick ? 'quick' : '',
  parts ? parts.join('+') : '',
  values['scale-phases'] ? `scale-${values['scale-phases'].replaceAll(',', '+')}` : '',
  values['window-seconds'] ? `window-${values['window-seconds']}` : '',
  values.rates ? `rates-${values.rates.replaceAll(',', '+')}` : '',
  values.workers ? `workers-${values.workers.replaceAll(',', '+')}` : '',
  values['refreshes-per-run'] ? `per-run-${values['refreshes-per-run'].replaceAll(',', '+')}` : '',
]
  .filter(Boolean)
  .map((v) => `-${v}`)
  .join('');
const file = join(resultsDir, `${results.startedAt.slice(0, 10)}${variant}.json`);
writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
console.log(`raw figures: ${file}`);
if (results.capacity) {
  // A full-length run's cost curve is the documented one; a shorter validation run's stays beside its figures.
  const documented = !values.quick && results.capacity.windowSeconds >= 180;
  const svg = documented
    ? fileURLToPath(new URL(`../../docs/cost-curve-${engine}.svg`, import.meta.url))
    : file.replace(/\.json$/, '-cost-curve.svg');
  writeFileSync(svg, costCurveSvg(results.capacity));
  console.log(`cost curve: ${svg}`);
}
process.exit(results.failures.length ? 1 : 0);
