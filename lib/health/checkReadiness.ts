/** What one dependency check found: `ok`, or why not. */
export type CheckResult = 'ok' | 'timeout' | 'unreachable';

/** The checks by name, each an async call that resolves when its dependency answers. */
export type Probes<K extends string> = Record<K, () => Promise<unknown>>;

/** Runs every probe at once, each under `timeoutMs`: whether all answered, and each one's result. */
export async function checkReadiness<K extends string>(
  probes: Probes<K>,
  timeoutMs: number,
): Promise<{ ready: boolean; checks: Record<K, CheckResult> }> {
  const names = Object.keys(probes) as K[];
  const results = await Promise.all(names.map((name) => withTimeout(probes[name], timeoutMs)));
  const checks = Object.fromEntries(names.map((name, i) => [name, results[i]])) as Record<K, CheckResult>;
  return { ready: results.every((r) => r === 'ok'), checks };
}

async function withTimeout(probe: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const answered = Promise.resolve()
    .then(probe)
    .then(
      () => 'ok' as const,
      () => 'unreachable' as const,
    );
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
