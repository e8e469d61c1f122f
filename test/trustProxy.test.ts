import { describe, expect, it } from 'vitest';
import { startInProcessApi } from './support/inProcessApi.js';

/** Statuses of `count` callbacks (unknown states: 400 until limited) sent as from `clientIp` through one proxy. */
async function callbacksFrom(base: string, clientIp: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await fetch(`${base}/oauth2/callback?state=proxied-${i}&code=x`, {
      headers: { accept: 'application/json', 'x-forwarded-for': clientIp },
    });
    statuses.push(answer.status);
  }
  return statuses;
}

describe('CONNECTFLOW_TRUST_PROXY', () => {
  it('with one trusted hop, two clients behind the proxy are rate-limited separately', async () => {
    const api = await startInProcessApi({ CONNECTFLOW_CALLBACK_RATE_LIMIT: '3', CONNECTFLOW_TRUST_PROXY: '1' });
    try {
      expect(await callbacksFrom(api.url, '203.0.113.1', 4)).toEqual([400, 400, 400, 429]);
      expect(await callbacksFrom(api.url, '203.0.113.2', 3)).toEqual([400, 400, 400]);
    } finally {
      await api.close();
    }
  });

  it("unset, X-Forwarded-For is ignored: both clients share the proxy's one limit", async () => {
    const api = await startInProcessApi({ CONNECTFLOW_CALLBACK_RATE_LIMIT: '3', CONNECTFLOW_TRUST_PROXY: '' });
    try {
      expect(await callbacksFrom(api.url, '203.0.113.1', 3)).toEqual([400, 400, 400]);
      expect(await callbacksFrom(api.url, '203.0.113.2', 1)).toEqual([429]);
    } finally {
      await api.close();
    }
  });
});
