import type { BenchStack } from './benchStack.js';

/** Whether a sampled process is one of the servers (`worker <n>`, `temporal <n>`: the second worker, the postgres engine's others). */
export const isServer = (name: string) =>
  ['api', 'ferretdb', 'postgres'].includes(name) || name.startsWith('worker') || name.startsWith('temporal');

/** On postgres: the Temporal server's processes beside the frontend's (`temporal 2`...) and PostgreSQL itself. */
export function serverProcesses(bench: BenchStack): Record<string, number | undefined> {
  return {
    ...Object.fromEntries((bench.pids.temporalServices ?? []).map((pid, i) => [`temporal ${i + 2}`, pid])),
    ...(bench.pids.postgres ? { postgres: bench.pids.postgres } : {}),
  };
}

/** Workers beside the first, as `worker 2`, `worker 3`... */
export function otherWorkers(bench: BenchStack): Record<string, number> {
  return Object.fromEntries((bench.pids.otherWorkers ?? []).map((pid, i) => [`worker ${i + 2}`, pid]));
}
