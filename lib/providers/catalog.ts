import { z } from 'zod';

/** One provider (connection type): data, not code. */
export const ProviderEntrySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9_]+$/),
    name: z.string().min(1),
    oauth: z.literal(true),
    /** OIDC / RFC 8414 issuer: endpoints come from discovery. */
    issuer: z.url().optional(),
    authorizationEndpoint: z.url().optional(),
    tokenEndpoint: z.url().optional(),
    revocationEndpoint: z.url().optional(),
    defaultScopes: z.array(z.string().min(1)),
    scopeSeparator: z.string().default(' '),
    extraAuthorizationParams: z.record(z.string(), z.string()).default({}),
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
    /** Token-response fields kept as providerData (e.g. Salesforce instance_url). */
    providerDataFields: z.array(z.string()).default([]),
    apiBaseUri: z.url().optional(),
    /** A token-response field (kept in providerData) holding the API base, e.g. Salesforce's instance_url. */
    apiBaseUriFrom: z.string().optional(),
    /** How the proxy presents the access token (default `Authorization: Bearer <token>`) and fixed headers it adds. */
    proxy: z
      .object({
        authHeader: z
          .string()
          .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/)
          .default('authorization'),
        /** "" sends the raw token (e.g. Shopify's X-Shopify-Access-Token). */
        authScheme: z
          .string()
          .regex(/^[A-Za-z0-9._-]*$/)
          .default('Bearer'),
        headers: z.record(z.string(), z.string()).default({}),
      })
      .optional(),
    /** Lifetime of each refresh token the provider issues, when it does not say (e.g. Xero 60 days). */
    refreshTokenLifetimeSeconds: z.number().int().positive().optional(),
    /** The provider refuses to refresh an access token with more than this left (refresh only inside this window). */
    refreshNotBeforeSeconds: z.number().int().positive().optional(),
  })
  .refine((p) => p.issuer || (p.authorizationEndpoint && p.tokenEndpoint), {
    message: 'a provider needs an issuer or both authorizationEndpoint and tokenEndpoint',
  });

export type ProviderEntry = z.infer<typeof ProviderEntrySchema>;

const builtIn: z.input<typeof ProviderEntrySchema>[] = [
  {
    id: 'gspreadsheet',
    name: 'Google Sheets',
    oauth: true,
    authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenEndpoint: 'https://oauth2.googleapis.com/token',
    revocationEndpoint: 'https://oauth2.googleapis.com/revoke',
    defaultScopes: ['https://www.googleapis.com/auth/spreadsheets.readonly'],
    extraAuthorizationParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
    tokenEndpointAuthMethod: 'client_secret_post',
    apiBaseUri: 'https://sheets.googleapis.com/v4',
  },
  {
    id: 'salesforce',
    name: 'Salesforce',
    oauth: true,
    authorizationEndpoint: 'https://login.salesforce.com/services/oauth2/authorize',
    tokenEndpoint: 'https://login.salesforce.com/services/oauth2/token',
    revocationEndpoint: 'https://login.salesforce.com/services/oauth2/revoke',
    defaultScopes: ['api', 'refresh_token'],
    tokenEndpointAuthMethod: 'client_secret_post',
    providerDataFields: ['instance_url', 'id'],
    apiBaseUriFrom: 'instance_url',
  },
  {
    id: 'xero',
    name: 'Xero',
    oauth: true,
    authorizationEndpoint: 'https://login.xero.com/identity/connect/authorize',
    tokenEndpoint: 'https://identity.xero.com/connect/token',
    revocationEndpoint: 'https://identity.xero.com/connect/revocation',
    defaultScopes: ['offline_access', 'accounting.transactions.read'],
    refreshTokenLifetimeSeconds: 60 * 86_400,
    apiBaseUri: 'https://api.xero.com/api.xro/2.0',
  },
  {
    id: 'hubspot',
    name: 'HubSpot',
    oauth: true,
    authorizationEndpoint: 'https://app.hubspot.com/oauth/authorize',
    tokenEndpoint: 'https://api.hubapi.com/oauth/v1/token',
    defaultScopes: ['crm.objects.contacts.read'],
    tokenEndpointAuthMethod: 'client_secret_post',
    apiBaseUri: 'https://api.hubapi.com',
  },
];

/**
 * The catalog: the built-in providers plus the `demo` provider when CONNECTFLOW_PROVIDER_DEMO_ISSUER
 * points at an OAuth2 server (the oidc-provider that `npm start` and the tests run).
 */
export function loadCatalog(env: NodeJS.ProcessEnv = process.env): Map<string, ProviderEntry> {
  const entries = [...builtIn];
  const demoIssuer = env.CONNECTFLOW_PROVIDER_DEMO_ISSUER;
  if (demoIssuer) {
    entries.push({
      id: 'demo',
      name: 'Demo provider',
      oauth: true,
      issuer: demoIssuer,
      defaultScopes: ['read'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      apiBaseUri: demoIssuer,
    });
  }
  if (env.CONNECTFLOW_EXTRA_PROVIDERS) {
    let extra: unknown;
    try {
      extra = JSON.parse(env.CONNECTFLOW_EXTRA_PROVIDERS);
    } catch {
      throw new Error('CONNECTFLOW_EXTRA_PROVIDERS must be a JSON array of catalog entries');
    }
    entries.push(...(z.array(z.looseObject({})).parse(extra) as z.input<typeof ProviderEntrySchema>[]));
  }
  return new Map(
    entries.map((e) => {
      const entry = ProviderEntrySchema.parse(e);
      return [entry.id, entry];
    }),
  );
}
