import { describe, expect, it } from 'vitest';
import { importedCredentials } from '../../api/connections/importedCredentials.js';
import { HttpError } from '../../api/errors/HttpError.js';
import { tokenImportId } from '../../lib/store/tokenImports.js';

describe('tokenImportId', () => {
  it('names the account and the refresh token (else the access token), never the token itself', () => {
    const id = tokenImportId('acct-a', { refresh_token: 'rt-secret', access_token: 'at-secret' });
    expect(id).toMatch(/^acct-a\/rt\.[\w-]{43}$/);
    expect(id).not.toContain('secret');
    expect(tokenImportId('acct-a', { access_token: 'at-secret' })).toMatch(/^acct-a\/at\./);
    expect(tokenImportId('acct-b', { refresh_token: 'rt-secret' })).not.toBe(id);
    expect(tokenImportId('acct-a', { refresh_token: 'rt-secret' })).toBe(id);
  });
});

describe('importedCredentials', () => {
  const now = new Date('2026-12-01T10:00:00.000Z');

  it('turns expires_in into the time the access token lapses, and keeps expires_at as given', () => {
    expect(importedCredentials({ access_token: 'a', expires_in: 3600 }, now).expires_at).toBe(
      '2026-12-01T11:00:00.000Z',
    );
    expect(importedCredentials({ access_token: 'a', expires_at: '2026-12-02T00:00:00+01:00' }, now).expires_at).toBe(
      '2026-12-01T23:00:00.000Z',
    );
    expect(importedCredentials({ refresh_token: 'r' }, now).expires_at).toBeNull();
  });

  it('refuses credentials without any token (400)', () => {
    const refusal = (sent: Parameters<typeof importedCredentials>[0]) => {
      try {
        importedCredentials(sent, now);
      } catch (err) {
        return err;
      }
      return null;
    };
    expect(refusal({ scope: 'read' })).toBeInstanceOf(HttpError);
    expect(refusal({})).toMatchObject({ statusCode: 400, error: 'bad_request' });
  });
});
