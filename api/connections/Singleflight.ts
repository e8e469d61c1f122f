/**
 * Concurrent refresh requests for one connection inside this API process share one workflow update
 * (the workflow itself coalesces across processes). Keeps 1,000 simultaneous callers from becoming
 * 1,000 updates in the connection's history.
 */
export class Singleflight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const started = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }
}
