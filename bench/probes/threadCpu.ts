import { readFileSync, readdirSync } from 'node:fs';

/**
 * `npx tsx bench/probes/threadCpu.ts <pid> [seconds]`: the CPU a process's threads use over a span,
 * summed by thread name (a Node worker's main thread, its workflow threads, libuv's pool, the
 * Temporal core's Rust runtime, V8's GC helpers), in cores and in share of the process.
 */
const [pidArg, secondsArg = '30'] = process.argv.slice(2);
if (!pidArg) throw new Error('usage: threadCpu.ts <pid> [seconds]');
const pid = Number(pidArg);

function threads(): Map<string, { name: string; seconds: number }> {
  const out = new Map<string, { name: string; seconds: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, seconds: (Number(fields[11]) + Number(fields[12])) / 100 }); // utime + stime
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

const before = threads();
const startedAt = performance.now();
await new Promise((r) => setTimeout(r, Number(secondsArg) * 1000));
const after = threads();
const wall = (performance.now() - startedAt) / 1000;

const byName = new Map<string, { threads: number; seconds: number }>();
for (const [tid, { name, seconds }] of after) {
  const used = seconds - (before.get(tid)?.seconds ?? 0);
  const row = byName.get(name) ?? { threads: 0, seconds: 0 };
  byName.set(name, { threads: row.threads + 1, seconds: row.seconds + used });
}
const total = [...byName.values()].reduce((sum, r) => sum + r.seconds, 0);
console.log(`pid ${pid}: ${(total / wall).toFixed(2)} cores over ${wall.toFixed(0)} s`);
for (const [name, r] of [...byName].sort((a, b) => b[1].seconds - a[1].seconds)) {
  if (r.seconds === 0) continue;
  const share = ((r.seconds / Math.max(total, 0.01)) * 100).toFixed(1);
  console.log(
    `  ${name.padEnd(18)} ${String(r.threads).padStart(3)} threads  ${(r.seconds / wall).toFixed(3)} cores  ${share}%`,
  );
}
