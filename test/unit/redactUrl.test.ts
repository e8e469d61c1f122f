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

  it("keeps the browser flow's connection_config out of the log", () => {
    const out = redactUrl('/api/connection_types/zendesk/connect?connection_config=%7B%22subdomain%22%3A%22acme%22%7D');
    expect(out).not.toContain('acme');
  });

  it('leaves URLs without a query alone', () => {
    expect(redactUrl('/api/connections')).toBe('/api/connections');
  });

  it('hides every query value of a proxied path (the provider names its own secrets)', () => {
    const out = redactUrl('/api/connections/c1/proxy/v1/items?api_key=s3cret&sig=abc&page=2');
    expect(out).toBe(
      '/api/connections/c1/proxy/v1/items?api_key=%5Bredacted%5D&sig=%5Bredacted%5D&page=%5Bredacted%5D',
    );
    expect(redactUrl('/api/connections/c1?page=2')).toBe('/api/connections/c1?page=2');
  });
});
