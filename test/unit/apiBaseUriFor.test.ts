import { describe, expect, it } from 'vitest';
import { apiBaseUriFor } from '../../lib/providers/apiBaseUriFor.js';

describe('apiBaseUriFor', () => {
  const connection = (providerData: Record<string, unknown> = {}, apiBaseUri: string | null = null) => ({
    providerData,
    apiBaseUri,
  });

  it("takes the token-response field the entry names (Salesforce's instance_url) first", () => {
    const url = apiBaseUriFor(connection({ instance_url: 'https://acme.my.salesforce.com' }), {
      apiBaseUriFrom: 'instance_url',
      apiBaseUri: 'https://fallback.example.com',
    });
    expect(url?.href).toBe('https://acme.my.salesforce.com/');
  });

  it("then the entry's apiBaseUri, then what was stored with the connection", () => {
    expect(
      apiBaseUriFor(connection({}, 'https://stored.example.com/v1'), { apiBaseUri: 'https://entry.example.com/v2' })
        ?.href,
    ).toBe('https://entry.example.com/v2');
    expect(apiBaseUriFor(connection({}, 'https://stored.example.com/v1'), undefined)?.href).toBe(
      'https://stored.example.com/v1',
    );
    expect(apiBaseUriFor(connection(), { apiBaseUriFrom: 'instance_url' })).toBeUndefined();
  });

  it('refuses what is not a plain http(s) base', () => {
    for (const bad of ['ftp://x.example.com', 'https://u:p@x.example.com', 'https://x.example.com/?q=1', 'not a url']) {
      expect(apiBaseUriFor(connection({ instance_url: bad }), { apiBaseUriFrom: 'instance_url' }), bad).toBeUndefined();
    }
  });
});
