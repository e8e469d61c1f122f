import { waitFor } from '../../scripts/dev/servers/waitFor.js';

/** Waits on a condition observed through the real system (no fixed sleeps). */
export function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  return waitFor(what, probe, { timeoutMs, intervalMs: 250 });
}
