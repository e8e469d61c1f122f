import type { TokenEndpointResponse } from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { tokenExpiries } from '../../lib/store/tokenExpiries.js';

const issuedAt = new Date('2026-01-01T00:00:00Z');
const response = (extra: Record<string, unknown>) =>
  ({ access_token: 'a', token_type: 'bearer', ...extra }) as TokenEndpointResponse;

describe('tokenExpiries', () => {
  it('reads expires_in and refresh_token_expires_in', () => {
    expect(
      tokenExpiries(
        response({ expires_in: 3600, refresh_token: 'r', refresh_token_expires_in: 86400 }),
        {},
        issuedAt,
        null,
      ),
    ).toEqual({
      tokenExpiresAt: new Date('2026-01-01T01:00:00Z'),
      refreshTokenExpiresAt: new Date('2026-01-02T00:00:00Z'),
    });
  });

  it("uses the catalog's refresh-token lifetime for each newly issued refresh token", () => {
    const result = tokenExpiries(
      response({ refresh_token: 'r' }),
      { refreshTokenLifetimeSeconds: 60 * 86400 },
      issuedAt,
      null,
    );
    expect(result).toEqual({ tokenExpiresAt: null, refreshTokenExpiresAt: new Date('2026-03-02T00:00:00Z') });
  });

  it('keeps the previous refresh-token expiry when the response issued no refresh token', () => {
    const previous = new Date('2026-01-05T00:00:00Z');
    expect(
      tokenExpiries(response({ expires_in: 60 }), { refreshTokenLifetimeSeconds: 999 }, issuedAt, previous)
        .refreshTokenExpiresAt,
    ).toBe(previous);
  });
});
