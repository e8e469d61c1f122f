/**
 * Retries the bench's own database calls: under load the pinned FerretDB answers SQLITE_BUSY
 * ("database is locked") after its busy timeout, and a measurement must not be lost to that.
 */
export async function retrying<T>(what: string, work: () => Promise<T>, attempts = 8, delayMs = 1_000): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await work();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  throw new Error(`${what} failed ${attempts} times: ${(last as Error)?.message ?? String(last)}`);
}
