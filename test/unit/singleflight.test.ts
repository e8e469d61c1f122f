import { describe, expect, it } from 'vitest';
import { Singleflight } from '../../lib/Singleflight.js';

describe('Singleflight', () => {
  it('gives simultaneous callers of one key the one call in flight, and other keys their own', async () => {
    const flights = new Singleflight<string>();
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const work = (key: string) => async () => {
      calls.push(key);
      await gate;
      return `${key}#${calls.length}`;
    };
    const answers = Promise.all([
      flights.run('a', work('a')),
      flights.run('a', work('a')),
      flights.run('b', work('b')),
      flights.run('a', work('a')),
    ]);
    release();
    expect(await answers).toEqual(['a#2', 'a#2', 'b#2', 'a#2']);
    expect(calls).toEqual(['a', 'b']);
  });

  it('starts afresh once the call settled, after a success or a failure (nothing is cached)', async () => {
    const flights = new Singleflight<number>();
    let n = 0;
    await expect(
      flights.run('k', async () => {
        n++;
        throw new Error('store away');
      }),
    ).rejects.toThrow('store away');
    expect(await flights.run('k', async () => ++n)).toBe(2);
    expect(await flights.run('k', async () => ++n)).toBe(3);
  });

  it('lets a caller join the call in flight for a key, and tells it when there is none', async () => {
    const flights = new Singleflight<string>();
    expect(flights.joining('k')).toBeUndefined();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = flights.run('k', async () => {
      await gate;
      return 'refreshed';
    });
    const joined = flights.joining('k');
    expect(flights.joining('other')).toBeUndefined();
    release();
    expect(await joined).toBe('refreshed');
    expect(await first).toBe('refreshed');
    expect(flights.joining('k')).toBeUndefined();
  });
});
