import { describe, expect, it } from 'vitest';
import { connectPage, formatTimeLeft } from '../../api/connect/renderConnectPage.js';
import { explainFailure } from '../../api/callback/explainFailure.js';
import { openerScript } from '../../api/pages/htmlPage.js';

const view = {
  connectId: 'abc_DEF-123',
  providerName: 'Google Sheets',
  providerOrigin: 'https://accounts.google.com',
  accountLabel: 'Acme <script>alert(1)</script>',
  connectionName: null,
  scopes: [
    {
      scope: 'https://www.googleapis.com/auth/spreadsheets.readonly',
      description: 'See all your Google Sheets spreadsheets',
    },
    { scope: 'custom.scope', description: null },
  ],
  timeLeftMs: 65_000,
};

describe('the connect page', () => {
  it('says each scope in plain words where the catalog describes it, and the raw scope otherwise', () => {
    const { body } = connectPage(view, []);
    expect(body).toContain(
      '<li>See all your Google Sheets spreadsheets<code>https://www.googleapis.com/auth/spreadsheets.readonly</code></li>',
    );
    expect(body).toContain('<li><code>custom.scope</code></li>');
    expect(body).toContain('1 minute 5 seconds');
    expect(body).toContain('action="/connect/abc_DEF-123"');
    expect(body).toContain('accounts.google.com');
  });

  it("escapes what it did not write itself, and lets its form lead on only to the provider's origin", () => {
    const page = connectPage(view, []);
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('Acme &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.formTargets).toEqual(['https://accounts.google.com']);
  });

  it('counts the time left in words', () => {
    expect(formatTimeLeft(3_600_000)).toBe('1 hour');
    expect(formatTimeLeft(3_900_000)).toBe('1 hour 5 minutes');
    expect(formatTimeLeft(598_000)).toBe('9 minutes 58 seconds');
    expect(formatTimeLeft(1_000)).toBe('1 second');
    expect(formatTimeLeft(-5)).toBe('0 seconds');
  });
});

describe('the result page', () => {
  it("explains a provider's error with what to do next, and any other error generically", () => {
    expect(explainFailure('access_denied', 'Xero').title).toBe('You did not allow access');
    expect(explainFailure('invalid_scope', 'Xero').text).toContain('Trying again will not help');
    expect(explainFailure('weird_error', 'Xero')).toMatchObject({ title: 'Xero did not connect' });
  });

  it('posts the outcome only to the given origins, and nothing can close its script tag', () => {
    const script = openerScript({ error: 'x', error_description: '</script><script>alert(1)' }, [
      'https://app.example',
    ]);
    expect(script).not.toContain('</script>');
    expect(script).toContain('"https://app.example"');
    expect(script).not.toContain('"*"');
  });
});
