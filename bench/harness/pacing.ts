/** Resolves at `at` (epoch ms), at once when that has passed. */
export async function sleepUntil(at: number): Promise<void> {
  const ms = at - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** `work` for each item, at most `concurrency` at a time, in order of the items. */
export async function inParallel<T>(
  items: T[],
  concurrency: number,
  work: (item: T, i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}
