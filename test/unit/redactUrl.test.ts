import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../lib/logging/redactUrl.js';

describe('redactUrl', () => {
  it('hides code and state of a callback but keeps the rest readable', () => {
    const out = redactUrl('/oauth2/callback?code=abc123&state=xyz789&iss=http%3A%2F%2Fp');
    expect(out).not.toContain('abc123');
    expect(out).not.toContain('xyz789');
    expect(out).toContain('iss=http');
    expect(out.startsWith('/oauth2/callback?')).toBe(true);
  });

  it("hides a connect page's id, not the helper's address", () => {
    expect(redactUrl('/connect/Zx9_secret-id?opener_origin=https%3A%2F%2Fapp')).toBe(
      '/connect/[redacted]?opener_origin=https%3A%2F%2Fapp',
    );
    expect(redactUrl('/connect.js')).toBe('/connect.js');
  });

  it('leaves URLs without a query alone', () => {
    expect(redactUrl('/api/connections')).toBe('/api/connections');
  });
});
