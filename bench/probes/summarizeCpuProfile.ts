import { readFileSync } from 'node:fs';

/**
 * `npx tsx bench/probes/summarizeCpuProfile.ts <file.cpuprofile> [top]`: self time by package (or
 * by repository directory) and the top functions, from a profile written by `npm run bench -- --cpu-prof`.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: summarizeCpuProfile.ts <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const where = (url: string): string => {
  if (!url) return '(native / V8)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return 'node core';
  const repo = /\/(api|activities|lib|workflows|worker|scripts|bench)\//.exec(url);
  return repo ? `connectflow ${repo[1]}/` : url;
};
const byWhere = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  const w =
    functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)'
      ? functionName
      : where(url);
  byWhere.set(w, (byWhere.get(w) ?? 0) + us);
  const f = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/main\//, '')}:${lineNumber + 1}` : ''}`;
  byFunction.set(f, (byFunction.get(f) ?? 0) + us);
}
const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
console.log('self time by package / directory:');
for (const [w, us] of [...byWhere].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(us)}  ${w}`);
console.log('top functions (self time):');
for (const [f, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 20)))
  console.log(`  ${pct(us)}  ${f}`);
