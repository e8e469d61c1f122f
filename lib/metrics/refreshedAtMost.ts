/**
 * A value loaded at most once per `intervalMs`: each call answers the last value loaded and, when the
 * last load began `intervalMs` ago or more, waits for a new one. A failed load keeps the last value
 * (undefined before the first) and is not tried again before the interval has passed either.
 */
export function refreshedAtMost<T>(
  intervalMs: number,
  load: () => Promise<T>,
  now: () => number = Date.now,
): () => Promise<T | undefined> {
  let value: T | undefined;
  let loadedAt: number | undefined;
  let loading: Promise<void> | undefined;
  return async () => {
    if (!loading && (loadedAt === undefined || now() - loadedAt >= intervalMs)) {
      loadedAt = now();
      loading = load().then(
        (loaded) => void (value = loaded),
        () => undefined,
      );
      void loading.finally(() => (loading = undefined));
    }
    await loading;
    return value;
  };
}
