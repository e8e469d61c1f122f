/**
 * Concurrent callers of `run` with the same key share the one call in flight; the next call after it
 * settled starts afresh (nothing is cached). Used for refreshes (simultaneous callers share one workflow
 * update) and for reads by `_id` (they share one store round trip): a caller that joins a read gets
 * the document as it was at most one round trip before its own request began.
 */
export class Singleflight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** The call in flight for `key`, if any (to join it without doing the work that would precede `run`). */
  joining(key: string): Promise<T> | undefined {
    return this.inFlight.get(key);
  }

  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const started = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }
}
