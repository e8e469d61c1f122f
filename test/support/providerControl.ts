import type { TokenEndpointFault } from '../../scripts/dev/demoProvider/createDemoProvider.js';
import { stack } from './testStack.js';

export interface ProviderCounts {
  token: number;
  tokenByGrant: Record<string, number>;
  revocation: number;
}

/** A test's handle on one demo provider (see providerControlServer.ts). */
export function providerControl(id: string) {
  const call = async (method: string, action: string, body?: unknown) => {
    const res = await fetch(`${stack.providerControlUrl}/${id}${action ? `/${action}` : ''}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (!res.ok) throw new Error(`provider control ${method} ${id}/${action}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    counts: async (): Promise<ProviderCounts> => (await call('GET', '')).counts,
    refreshCalls: async (): Promise<number> => (await call('GET', '')).counts.tokenByGrant.refresh_token ?? 0,
    setFault: (fault: TokenEndpointFault) => call('POST', 'fault', { fault }),
    setReachable: (reachable: boolean) => call('POST', 'reachable', { reachable }),
    introspect: async (token: string): Promise<boolean> => (await call('POST', 'introspect', { token })).active,
  };
}
