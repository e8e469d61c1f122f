/**
 * The `node` flags each service runs with (Dockerfile and docker-compose.yml spell the same).
 *
 * The worker's V8 heap is capped at 384 MiB (its workflow thread inherits the cap). Left to its
 * default (a quarter of the machine's memory, up to 4 GiB: 4,144 MiB on a 24 GiB machine) V8 lets
 * the heap grow under sustained load although little of it is live: at 10,000 connections the
 * worker peaked at 529–549 MiB RSS, and a heap snapshot at 509 MiB held 73 MiB of live objects. With the cap the same run peaked at 363 MiB (320 MiB cap: 339) at the same refresh
 * rate. V8 sizes the young generation from the cap (a 3 MiB semi-space for 384 MiB), which made
 * the worker scavenge far more often: 50 ms of worker CPU per flow instead of 38, 12.7 flows/s at
 * concurrency 20 instead of 16; so the semi-space keeps its default 16 MiB. Both flags: 10,000
 * connections peak at 343 MiB, 1,000 refresh on time again.
 * A worker whose live heap did reach the cap would exit (out of memory) and Temporal would hand its
 * work to another worker; raise the cap for workloads with more in flight.
 */
export const SERVICE_NODE_FLAGS = {
  worker: ['--enable-source-maps', '--max-old-space-size=384', '--max-semi-space-size=16'],
  api: ['--enable-source-maps'],
} as const satisfies Record<string, readonly string[]>;

/** The long-running processes, each run as `.build/<name>.js` (written by scripts/build.ts). */
export type ServiceName = keyof typeof SERVICE_NODE_FLAGS;
