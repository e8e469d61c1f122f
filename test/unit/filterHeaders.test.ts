import { describe, expect, it } from 'vitest';
import { headersToCaller, headersToProvider, providerAuth } from '../../lib/proxy/filterHeaders.js';

describe('headersToProvider', () => {
  it("drops the caller's credentials, cookies, host, forwarding, hop-by-hop and control headers, and sets the token last", () => {
    const out = headersToProvider(
      {
        authorization: 'Bearer connectflow-api-token',
        cookie: 'session=1',
        host: 'connectflow.example',
        'x-forwarded-for': '1.2.3.4',
        'x-forwarded-host': 'x',
        forwarded: 'for=1.2.3.4',
        connection: 'keep-alive, x-drop-me',
        'x-drop-me': 'hop',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        upgrade: 'websocket',
        'proxy-authorization': 'Basic x',
        expect: '100-continue',
        'content-length': '12',
        'x-connectflow-retries': '3',
        'content-type': 'application/json',
        accept: 'application/json',
        'x-custom': ['a', 'b'],
      },
      providerAuth('tok'),
      { 'Notion-Version': '2022-06-28' },
    );
    expect(out).toEqual({
      'content-type': 'application/json',
      accept: 'application/json',
      'x-custom': ['a', 'b'],
      'notion-version': '2022-06-28',
      authorization: 'Bearer tok',
    });
  });

  it('presents the token the way the catalog entry says', () => {
    expect(providerAuth('t', { authHeader: 'X-Shopify-Access-Token', authScheme: '' })).toEqual({
      header: 'x-shopify-access-token',
      value: 't',
    });
    expect(providerAuth('t', { authScheme: 'token' }).value).toBe('token t');
    const out = headersToProvider(
      { 'x-shopify-access-token': 'forged' },
      providerAuth('t', { authHeader: 'X-Shopify-Access-Token', authScheme: '' }),
    );
    expect(out['x-shopify-access-token']).toBe('t');
  });
});

describe('headersToCaller', () => {
  it("keeps the provider's end-to-end headers, drops cookies, hop-by-hop and origin-wide policies", () => {
    expect(
      headersToCaller({
        'content-type': 'image/jpeg',
        'content-length': '5',
        etag: '"x"',
        location: 'https://api.example.com/next',
        'set-cookie': ['a=1', 'b=2'],
        'strict-transport-security': 'max-age=1',
        connection: 'close',
        'transfer-encoding': 'chunked',
        'retry-after': '1',
      }),
    ).toEqual({
      'content-type': 'image/jpeg',
      'content-length': '5',
      etag: '"x"',
      location: 'https://api.example.com/next',
      'retry-after': '1',
    });
  });
});
