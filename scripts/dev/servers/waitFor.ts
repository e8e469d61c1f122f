import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Give up after this long. Default 60 000 ms. */
  timeoutMs?: number;
  /** Pause between probes. Default 200 ms. */
  intervalMs?: number;
  /** Stop polling early; waitFor then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** One probe that takes longer than this counts as "not yet" (a hung call never stalls the wait). Default 10 000 ms. */
  probeTimeoutMs?: number;
}

/**
 * Polls `probe` until it returns a truthy value, and returns that value.
 * A probe that throws counts as "not yet"; the last error is quoted if we time out.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  opts: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: string;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      const result = await withTimeout(
        probe(),
        Math.max(1, Math.min(opts.probeTimeoutMs ?? 10_000, deadline - Date.now())),
      );
      if (result) return result;
      lastError = 'condition not met';
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}: ${lastError}`);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())), undefined, { signal: opts.signal }).catch(
      () => {
        opts.signal?.throwIfAborted();
      },
    );
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`probe did not answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined); // a probe abandoned after its timeout must not become an unhandled rejection
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
