import { describe, expect, it } from 'vitest';
import { allowedRetries, nextRetryDelay, parseRetryAfter, type RetryInput } from '../../lib/proxy/retryPolicy.js';

const input = (over: Partial<RetryInput>): RetryInput => ({
  method: 'GET',
  outcome: { status: 200 },
  retriesDone: 0,
  retriesAsked: undefined,
  replayable: true,
  waitedMs: 0,
  nowMs: Date.parse('2030-01-01T00:00:00Z'),
  random: 0.5,
  ...over,
});

describe('nextRetryDelay', () => {
  it('answers a 429 after its Retry-After for any method, within the total wait', () => {
    expect(nextRetryDelay(input({ method: 'POST', outcome: { status: 429, retryAfter: '1' } }))).toBe(1000);
    expect(nextRetryDelay(input({ outcome: { status: 429, retryAfter: 'Tue, 01 Jan 2030 00:00:03 GMT' } }))).toBe(3000);
    expect(nextRetryDelay(input({ outcome: { status: 429, retryAfter: '60' } }))).toBeUndefined();
    expect(nextRetryDelay(input({ outcome: { status: 429, retryAfter: '2' }, waitedMs: 9000 }))).toBeUndefined();
    expect(nextRetryDelay(input({ outcome: { status: 429, retryAfter: '0' }, retriesDone: 3 }))).toBeUndefined();
    expect(nextRetryDelay(input({ outcome: { status: 429 } }))).toBeGreaterThan(0);
  });

  it('retries 5xx and connection errors for idempotent methods only, unless asked', () => {
    expect(nextRetryDelay(input({ outcome: { status: 503 } }))).toBeGreaterThan(0);
    expect(nextRetryDelay(input({ method: 'PUT', outcome: { error: 'connect' } }))).toBeGreaterThan(0);
    expect(nextRetryDelay(input({ method: 'POST', outcome: { status: 503 } }))).toBeUndefined();
    expect(nextRetryDelay(input({ method: 'PATCH', outcome: { error: 'reset' } }))).toBeUndefined();
    expect(nextRetryDelay(input({ method: 'POST', outcome: { status: 503 }, retriesAsked: 1 }))).toBeGreaterThan(0);
    expect(
      nextRetryDelay(input({ method: 'POST', outcome: { status: 503 }, retriesAsked: 1, retriesDone: 1 })),
    ).toBeUndefined();
    expect(nextRetryDelay(input({ outcome: { status: 503 }, retriesAsked: 0 }))).toBeUndefined();
    expect(nextRetryDelay(input({ outcome: { status: 503 }, retriesDone: 2 }))).toBeUndefined();
  });

  it('never retries success, client errors, timeouts or a body that cannot be sent again', () => {
    for (const status of [200, 302, 400, 401, 404, 501])
      expect(nextRetryDelay(input({ outcome: { status } }))).toBeUndefined();
    expect(nextRetryDelay(input({ outcome: { error: 'timeout' }, retriesAsked: 5 }))).toBeUndefined();
    expect(nextRetryDelay(input({ outcome: { status: 429, retryAfter: '1' }, replayable: false }))).toBeUndefined();
  });

  it('backs off exponentially with spread, up to the cap', () => {
    const at = (retriesDone: number, random: number) =>
      nextRetryDelay(input({ outcome: { status: 502 }, retriesAsked: 5, retriesDone, random }));
    expect(at(0, 0)).toBe(50);
    expect(at(0, 0.999)).toBeLessThanOrEqual(100);
    expect(at(3, 1)).toBe(800);
    expect(at(4, 1)).toBe(1600);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, nothing else', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter('Mon, 31 Dec 2029 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('2030', now)).toBe(2030 * 1000);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('allowedRetries', () => {
  it('is what the caller asked, else 2 for idempotent methods and 0 for the others', () => {
    expect(allowedRetries('get', undefined)).toBe(2);
    expect(allowedRetries('DELETE', undefined)).toBe(2);
    expect(allowedRetries('POST', undefined)).toBe(0);
    expect(allowedRetries('POST', 3)).toBe(3);
  });
});
