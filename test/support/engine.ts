import { inject, it } from 'vitest';

/** The project's engine (vitest.config.ts): `sqlite`, or `postgres`, the production shape. */
export const engine = inject('engine');

/**
 * `it` for a test whose outcome does not depend on the servers (our own logic alike on both engines):
 * it runs in the sqlite project only, so the postgres project spends its time on what the servers do.
 */
export const itEngineIndependent = engine === 'sqlite' ? it : it.skip;
