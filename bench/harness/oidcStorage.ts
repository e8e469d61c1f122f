import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import type { DemoProvider } from '../../scripts/dev/demoProvider/createDemoProvider.js';

/**
 * oidc-provider's own in-memory adapter over a store without eviction. Its default store is an LRU
 * of about 1,000 entries per provider: 10,000 connections' grants and refresh tokens (or the codes
 * of 100 concurrent flows) would be evicted and the provider would answer invalid_grant.
 * Entries still expire (maxAge), as in the LRU.
 */
class UnboundedStore {
  private readonly entries = new Map<string, { value: unknown; expiry: number | undefined }>();

  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiry !== undefined && entry.expiry <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: unknown, { maxAge }: { maxAge?: number } = {}): this {
    const expiry = typeof maxAge === 'number' && maxAge !== Number.POSITIVE_INFINITY ? Date.now() + maxAge : undefined;
    this.entries.set(key, { value, expiry });
    return this;
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** An `adapter` for createDemoProvider: one unbounded store per provider instance. */
export function unboundedOidcAdapter(): (model: string) => unknown {
  const store = new UnboundedStore();
  return (model: string) => new MemoryAdapter(model, store);
}

interface TokenModel {
  save(): Promise<string>;
  readonly expiration: number;
}
interface OidcModels {
  Grant: new (init: { accountId: string; clientId: string }) => {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  };
  RefreshToken: new (init: Record<string, unknown>) => TokenModel;
  AccessToken: new (init: Record<string, unknown>) => TokenModel & { scope?: string };
  Client: { find(id: string): Promise<unknown> };
}

export interface MintedTokens {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/**
 * A grant, a refresh token and an access token made through oidc-provider's models exactly as its
 * authorization_code grant makes them (same client, account, scope, lifetimes): the provider later
 * accepts the refresh token at its token endpoint like one it issued over HTTP.
 */
export async function mintTokens(
  provider: DemoProvider,
  input: { clientId: string; accountId: string; scope: string },
): Promise<MintedTokens> {
  const oidc = provider.oidc as unknown as OidcModels;
  const client = await oidc.Client.find(input.clientId);
  if (!client) throw new Error(`demo provider ${provider.issuer} has no client ${input.clientId}`);
  const grant = new oidc.Grant({ accountId: input.accountId, clientId: input.clientId });
  grant.addOIDCScope(input.scope);
  const grantId = await grant.save();
  const common = {
    accountId: input.accountId,
    client,
    grantId,
    gty: 'authorization_code',
    scope: input.scope,
    expiresWithSession: false,
  };
  const refreshToken = new oidc.RefreshToken({ ...common, rotations: 0 });
  const accessToken = new oidc.AccessToken(common);
  const [refresh_token, access_token] = await Promise.all([refreshToken.save(), accessToken.save()]);
  return { access_token, refresh_token, token_type: 'Bearer', expires_in: accessToken.expiration, scope: input.scope };
}
