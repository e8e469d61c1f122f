import { describe, expect, it } from 'vitest';
import type { Caller } from '../../api/auth/authenticate.js';
import { visibleTo } from '../../api/connections/connectionAccess.js';
import { integrationOwnerOf } from '../../api/integrations/integrationAccess.js';
import { ownerOf } from '../../api/oauth2/issueAuthorization.js';
import { HttpError } from '../../api/errors/HttpError.js';
import { apiBaseUriFor } from '../../lib/providers/apiBaseUriFor.js';

const account: Caller = { accountId: 'acct', scopes: ['connection:edit'], userId: null };
const alice: Caller = { ...account, userId: 'alice' };

const status = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof HttpError ? err.statusCode : 'other';
  }
};

describe('the owner of a new connection (POST /api/oauth2)', () => {
  it("is a user-bound token's user, the end_user an account token names, or none", () => {
    expect(ownerOf(alice, undefined)).toEqual({ ownerId: 'alice' });
    expect(ownerOf(alice, { id: 'alice', email: 'a@example.com' })).toEqual({
      ownerId: 'alice',
      ownerProfile: { email: 'a@example.com' },
    });
    expect(ownerOf(account, { id: 'bob', display_name: 'Bob' })).toEqual({
      ownerId: 'bob',
      ownerProfile: { displayName: 'Bob' },
    });
    expect(ownerOf(account, undefined)).toEqual({ ownerId: null });
  });

  it('is refused (403) when a user-bound token names someone else', () => {
    expect(status(() => ownerOf(alice, { id: 'bob' }))).toBe(403);
  });
});

describe("the owner of an integration's current connection", () => {
  it("per user: the token's user or the named end user; shared: the account", () => {
    expect(integrationOwnerOf(alice, { mode: 'per_user' }, undefined)).toBe('alice');
    expect(integrationOwnerOf(account, { mode: 'per_user' }, 'bob')).toBe('bob');
    expect(integrationOwnerOf(account, { mode: 'per_user' }, undefined)).toBeNull();
    expect(integrationOwnerOf(alice, { mode: 'shared' }, undefined)).toBeNull();
    expect(status(() => integrationOwnerOf(alice, { mode: 'shared' }, 'bob'))).toBe(403);
  });
});

describe('which connections a caller sees', () => {
  it("an account token all of its account's; a user-bound token only its user's", () => {
    const own = { accountId: 'acct', ownerId: 'alice' };
    const shared = { accountId: 'acct', ownerId: null };
    expect(visibleTo(own, account)).toBe(true);
    expect(visibleTo(shared, account)).toBe(true);
    expect(visibleTo(own, alice)).toBe(true);
    expect(visibleTo(shared, alice)).toBe(false);
    expect(visibleTo({ accountId: 'other', ownerId: 'alice' }, alice)).toBe(false);
  });
});

describe("an integration's api_base_uri", () => {
  it("comes before the catalog's and the connection's, when usable", () => {
    const connection = { providerData: {}, apiBaseUri: 'https://stored.example/v1', connectionConfig: {} };
    const entry = { apiBaseUri: 'https://catalog.example/v2' };
    expect(apiBaseUriFor(connection, entry, 'https://own.example/v3')?.href).toBe('https://own.example/v3');
    expect(apiBaseUriFor(connection, entry, null)?.href).toBe('https://catalog.example/v2');
  });
});
