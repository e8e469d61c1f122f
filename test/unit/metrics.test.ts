import { describe, expect, it } from 'vitest';
import { checkReadiness } from '../../lib/health/checkReadiness.js';
import { isLoopbackCaller } from '../../lib/metrics/loopbackCaller.js';
import { statusClass } from '../../lib/metrics/proxyMetrics.js';
import { refreshedAtMost } from '../../lib/metrics/refreshedAtMost.js';
import { refreshLagSeconds } from '../../lib/metrics/refreshMetrics.js';

describe('isLoopbackCaller', () => {
  it('takes loopback peers in any spelling, and nothing else', () => {
    for (const peer of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])
      expect(isLoopbackCaller(peer, {}), peer).toBe(true);
    for (const peer of ['10.0.0.1', '203.0.113.7', '::2', '::ffff:10.0.0.1', 'fe80::1', undefined, ''])
      expect(isLoopbackCaller(peer, {}), String(peer)).toBe(false);
  });

  it('refuses a loopback peer that forwards for someone (a proxy on this host), whatever the header says', () => {
    expect(isLoopbackCaller('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' })).toBe(false);
    expect(isLoopbackCaller('127.0.0.1', { forwarded: 'for=127.0.0.1' })).toBe(false);
    expect(isLoopbackCaller('::1', { 'x-real-ip': '::1' })).toBe(false);
    expect(isLoopbackCaller('203.0.113.7', { 'x-forwarded-for': '127.0.0.1' })).toBe(false);
  });
});

describe('statusClass', () => {
  it('names the class of an HTTP status, a bounded label', () => {
    expect([200, 204, 302, 404, 429, 502, 599].map(statusClass)).toEqual([
      '2xx',
      '2xx',
      '3xx',
      '4xx',
      '4xx',
      '5xx',
      '5xx',
    ]);
    expect([0, 99, 600, NaN].map(statusClass)).toEqual(['other', 'other', 'other', 'other']);
  });
});

describe('refreshLagSeconds', () => {
  it('is how late the refresh started, in seconds, never below zero', () => {
    expect(refreshLagSeconds(10_000, 12_500)).toBe(2.5);
    expect(refreshLagSeconds(10_000, 10_000)).toBe(0);
    expect(refreshLagSeconds(10_000, 9_000)).toBe(0);
  });
});

describe('refreshedAtMost', () => {
  it('loads at most once per interval, answering the last value in between', async () => {
    let clock = 0;
    let loads = 0;
    const value = refreshedAtMost(
      60_000,
      async () => ++loads,
      () => clock,
    );
    expect(await value()).toBe(1);
    clock = 59_999;
    expect(await Promise.all([value(), value()])).toEqual([1, 1]);
    clock = 60_000;
    expect(await value()).toBe(2);
    expect(loads).toBe(2);
  });

  it('keeps the last value when a load fails, and does not retry before the interval passed', async () => {
    let clock = 0;
    let fail = false;
    let loads = 0;
    const value = refreshedAtMost(
      1_000,
      async () => {
        loads++;
        if (fail) throw new Error('store away');
        return 'counted';
      },
      () => clock,
    );
    expect(await value()).toBe('counted');
    fail = true;
    clock = 1_000;
    expect(await value()).toBe('counted');
    clock = 1_500;
    expect(await value()).toBe('counted');
    expect(loads).toBe(2);
  });

  it('shares one load between callers that arrive while it runs', async () => {
    let release!: (n: number) => void;
    let loads = 0;
    const value = refreshedAtMost(1_000, () => {
      loads++;
      return new Promise<number>((resolve) => (release = resolve));
    });
    const both = Promise.all([value(), value()]);
    release(7);
    expect(await both).toEqual([7, 7]);
    expect(loads).toBe(1);
  });
});

describe('checkReadiness', () => {
  it('is ready when every probe answers, and names each one that failed or timed out', async () => {
    expect(await checkReadiness({ a: async () => 1, b: async () => 2 }, 100)).toEqual({
      ready: true,
      checks: { a: 'ok', b: 'ok' },
    });
    const hung = () => new Promise(() => undefined);
    const failed = async () => {
      throw new Error('refused');
    };
    const started = Date.now();
    expect(await checkReadiness({ a: async () => 1, b: hung, c: failed }, 50)).toEqual({
      ready: false,
      checks: { a: 'ok', b: 'timeout', c: 'unreachable' },
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('counts a probe that throws synchronously as unreachable', async () => {
    const throws = (): Promise<unknown> => {
      throw new Error('no client');
    };
    expect((await checkReadiness({ x: throws }, 50)).checks).toEqual({ x: 'unreachable' });
  });
});
