import { MongoNetworkError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { dependencyUnavailable } from '../../api/errors/dependencyUnavailable.js';

/** A Node socket error as raised inside a library whose file is `file`. */
function socketError(code: string, file: string): Error {
  const err = Object.assign(new Error('This socket has been ended by the other party'), { code });
  err.stack = `Error: ${err.message}\n    at Socket.writeAfterFIN [as write] (node:net:566:14)\n    at Connection.writeCommand (${file}:722:23)`;
  return err;
}

describe('which failures answer 503 rather than 500', () => {
  it('MongoDB gone: the driver network errors, and the socket errors it passes on unwrapped', () => {
    expect(dependencyUnavailable(new MongoNetworkError('connection closed'))).toBe('MongoDB');
    expect(dependencyUnavailable(socketError('EPIPE', '/app/node_modules/mongodb/src/cmap/connection.ts'))).toBe(
      'MongoDB',
    );
    expect(
      dependencyUnavailable(
        new Error('wrapped', { cause: socketError('ECONNRESET', '/app/node_modules/mongodb/x.js') }),
      ),
    ).toBe('MongoDB');
  });

  it('a broken socket elsewhere (a provider call) is not a MongoDB outage', () => {
    expect(dependencyUnavailable(socketError('EPIPE', '/app/node_modules/undici/lib/dispatcher/client.js'))).toBe(
      undefined,
    );
    expect(dependencyUnavailable(new Error('boom'))).toBe(undefined);
  });
});
