// `--import`ed into connectflow's API and worker by `npm run bench -- --cpu-prof` (through
// NODE_OPTIONS, which may not carry --cpu-prof itself): samples the main thread with the inspector
// and writes <name>-<pid>.cpuprofile into BENCH_CPU_PROF_DIR when the process exits.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, dirname, join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  let written = false;
  process.on('exit', () => {
    if (written) return;
    written = true;
    // in-thread inspector sessions answer synchronously, so this runs before the process ends
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      const entry = process.argv[1] ?? 'node';
      // (no leading dot: the compiled services live in `.build/`, and a dotfile hides from `ls`)
      const name = `${basename(dirname(entry)).replace(/^\./, '')}-${basename(entry).replace(/\.[cm]?[jt]s$/, '')}`;
      writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
