import { Agent } from 'undici';
import { checkedLookup, systemResolveAll, type ResolveAll } from '../../lib/net/publicAddress.js';

/**
 * The proxy's connection pools to providers, one per address policy. Each pool resolves names
 * through `checkedLookup`, so every socket connects to an address that was checked for that very
 * connection (kept-alive sockets were checked when they opened).
 */
export interface UpstreamAgents {
  /** public addresses only, or loopback too (a provider whose API base is itself on loopback) */
  agent(allowLoopback: boolean): Agent;
  close(): Promise<void>;
}

export function createUpstreamAgents(options: { resolveHost?: ResolveAll; connectTimeoutMs: number }): UpstreamAgents {
  const resolveAll = options.resolveHost ?? systemResolveAll;
  const make = (allowLoopback: boolean) =>
    new Agent({
      connect: { lookup: checkedLookup({ allowLoopback }, resolveAll), timeout: options.connectTimeoutMs },
      keepAliveTimeout: 10_000,
    });
  const publicOnly = make(false);
  const withLoopback = make(true);
  return {
    agent: (allowLoopback) => (allowLoopback ? withLoopback : publicOnly),
    close: async () => {
      await Promise.all([publicOnly.close(), withLoopback.close()]);
    },
  };
}
