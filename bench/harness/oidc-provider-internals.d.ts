// oidc-provider ships no types; the bench reuses its in-memory adapter class with its own store.
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  export default class MemoryAdapter {
    constructor(model: string, store?: unknown, clockTolerance?: number);
  }
}
