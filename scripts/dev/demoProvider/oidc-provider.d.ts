// Minimal ambient typing for oidc-provider (the package ships no types).
// Only the surface used by createDemoProvider.ts is described.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface DemoKoaContext {
    method: string;
    path: string;
    status: number;
    body: unknown;
    req: IncomingMessage;
    query: Record<string, string | string[] | undefined>;
    readonly response: { get(field: string): string };
    is(...types: string[]): string | false | null;
    get(field: string): string;
    set(field: string, value: string): void;
    // Set by oidc-provider on its own routes only.
    readonly oidc?: { body?: Record<string, unknown> };
  }

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    proxy: boolean;
    use(fn: (ctx: DemoKoaContext, next: () => Promise<void>) => Promise<void> | void): this;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export default Provider;
}
