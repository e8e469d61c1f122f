/** The MongoDB documents connectflow keeps. Secrets are key-ring envelopes, never plaintext. */

/** A stored connection's status: a document exists from `active` on (the workflow's own view has more). */
export const CONNECTION_STATUSES = ['active', 'needs_reauth', 'deleted'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export interface ConnectionDoc {
  _id: string; // connectionId
  accountId: string;
  provider: string;
  name: string;
  status: ConnectionStatus;
  /** envelope of StoredCredentials, associated data = connectionId */
  credentials: string;
  scopes: string[];
  tokenExpiresAt: Date | null;
  refreshTokenExpiresAt: Date | null;
  lastAuthorizedAt: Date;
  lastRefreshedAt: Date | null;
  providerData: Record<string, unknown>;
  apiBaseUri: string | null;
  /** the values of the provider's `{name}` templates (not secret); absent on connections saved before there were any */
  connectionConfig?: Record<string, string>;
  /** the authorization request whose code produced these credentials (or the token import that brought them) */
  authorizationRequestId: string;
  /** the OAuth app the connection was authorized with, copied from its request; absent (older ones): the service's */
  oauthApp?: OAuthAppRef;
  /** the end user it belongs to; null or absent: the account's own (an account-level or shared connection) */
  ownerId?: string | null;
  /** what the account told about its end user (not used to decide anything) */
  ownerProfile?: EndUserProfile;
  /** the integration it was made through (the integration's slug), if any */
  integrationId?: string | null;
  adoptedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What the credentials envelope holds. */
export interface StoredCredentials {
  access_token: string;
  token_type: string;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
}

export const OAUTH_REQUEST_STATUSES = [
  'pending',
  'callback_received',
  'exchanging',
  'completed',
  'failed',
  'expired',
] as const;
export type OAuthRequestStatus = (typeof OAUTH_REQUEST_STATUSES)[number];

export interface OAuthRequestDoc {
  _id: string; // the authorization request id: secretHash(pull_id), see pullId.ts
  stateHash: string;
  accountId: string;
  connectionId: string;
  provider: string;
  status: OAuthRequestStatus;
  /** envelope of the PKCE code verifier, associated data = _id */
  codeVerifier: string;
  redirectUrl: string | null;
  connectionName: string | null;
  scopes: string[];
  /** the OAuth app chosen when the request was made, copied to the connection it makes */
  oauthApp?: OAuthAppRef;
  /** the connection_config the flow was started with, copied to the connection it makes */
  connectionConfig?: Record<string, string>;
  /** the end user and integration of the connection it makes (see ConnectionDoc) */
  ownerId?: string | null;
  ownerProfile?: EndUserProfile;
  integrationId?: string | null;
  /** where the callback sends a failure (the integration's error page); else to redirectUrl */
  errorRedirectUrl?: string | null;
  /** the client obtained the code itself with this redirect_uri (and its own verifier, or none) */
  clientGrant?: { redirectUri: string; pkce: boolean };
  expiresAt: Date;
  error: { error: string; error_description: string | null } | null;
  /** the end user went on to the provider from the connect page: the callback answers with a page, not a 302 */
  viaConnectPage?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A connect page (`/connect/<id>`) of one authorization request. */
export interface ConnectPageDoc {
  _id: string; // secretHash(connect id), see connectPageId.ts
  authorizationRequestId: string;
  accountId: string;
  /** envelope of the auth_uri (its state is a secret), associated data = _id */
  authUri: string;
  expiresAt: Date;
  createdAt: Date;
}

/** `operator` (decoding Temporal payloads at /codec) belongs to no account and implies no other scope. */
export const API_SCOPES = ['connection:read', 'connection:edit', 'account:admin', 'operator'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface ApiTokenDoc {
  _id: string; // secretHash(token)
  /** a public handle to list and revoke the token by (not the token) */
  tokenId: string;
  /** null for an operator token (scope `operator`, no account) */
  accountId: string | null;
  scopes: ApiScope[];
  name: string;
  /** the end user of the account the token acts for: it sees and makes only that user's connections */
  userId?: string | null;
  /** refused (401) from then on; absent or null: never expires */
  expiresAt?: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt?: Date;
}

/** What an account may tell about one of its end users (`end_user` of POST /api/oauth2). */
export interface EndUserProfile {
  email?: string;
  displayName?: string;
}

/** A Temporal UI decoding session: the cookie holds the random id, stored only as its hash. */
export interface CodecSessionDoc {
  _id: string; // secretHash(session id)
  /** the operator token it was started with (its hash): revoking the token ends the session */
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
}

/** The one callback a request accepts: `_id` is the request's, so one insert wins (lib/store/README.md, rule 2). */
export interface CallbackClaimDoc {
  _id: string; // the authorization request id
  /** secretHash of what the redirect carried (`code` / `error`), to recognise that same redirect re-sent */
  callbackHash: string;
  /** the API could not tell whether its delivery reached the workflow: that same redirect may be re-sent */
  inDoubt: boolean;
  createdAt: Date;
}

/** An account's own OAuth app for one source type: used instead of the service's app for new connections. */
export interface OAuthAppDoc {
  _id: string; // oauthAppId(accountId, provider): `<accountId>/<provider id>`
  accountId: string;
  /** the catalog entry's id (an alias given to the API is stored as the entry's id) */
  provider: string;
  clientId: string;
  /** envelope of the client secret, associated data = _id */
  clientSecret: string;
  /** scopes asked for when a request names none (else the catalog's defaults) */
  scopes: string[] | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Which OAuth app a request or connection uses, chosen once when it is authorized. An account's app is
 * carried with a snapshot of its credentials (the secret as an envelope, associated data = appId), so a
 * connection keeps working after the account replaces its app with another client or deletes it.
 */
export type OAuthAppRef =
  | { kind: 'service' }
  | { kind: 'account'; appId: string; clientId: string; clientSecret: string }
  | { kind: 'integration'; appId: string; clientId: string; clientSecret: string };

export const INTEGRATION_MODES = ['per_user', 'shared'] as const;
/** `per_user`: one connection per end user; `shared`: one connection for the whole account. */
export type IntegrationMode = (typeof INTEGRATION_MODES)[number];

/** A named configuration of one provider inside an account (the integrations API). */
export interface IntegrationDoc {
  _id: string; // integrationDocId(accountId, slug): `<accountId>/<slug>`
  accountId: string;
  /** the integration's id in the API (chosen by the account in PUT /api/integrations/:id) */
  slug: string;
  provider: string;
  name: string;
  mode: IntegrationMode;
  /** asked for instead of the app's or catalog's defaults */
  scopes: string[] | null;
  connectionConfig: Record<string, string>;
  /** the integration's own OAuth app, if it has one */
  clientId: string | null;
  /** envelope of its client secret, associated data = _id */
  clientSecret: string | null;
  /** replaces the catalog's API base for the proxy */
  apiBaseUri: string | null;
  successUrl: string | null;
  errorUrl: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Which connection is an end user's (or a shared integration's) current one: `_id` =
 * integrationConnectionKey(accountId, integration, ownerId), so the integration routes find it by
 * `_id` (lib/store/README.md, rule 1). A pointer at a connection that is gone counts as none.
 */
/**
 * The `secret_id` a flow's redirect_url receives: an opaque, single-use reference to the connection the
 * flow made, redeemed by `PUT /api/connections` until the request's validity ends.
 */
export interface FlowSecretDoc {
  _id: string; // secretHash(secret_id)
  accountId: string;
  connectionId: string;
  expiresAt: Date;
  createdAt: Date;
}

/** A redeemed secret_id: inserted once (its `_id` is the secret's), so a second use finds it taken. */
export interface FlowSecretUseDoc {
  _id: string; // secretHash(secret_id)
  usedAt: Date;
}

/** Tokens a client obtained elsewhere, as it hands them in for import. */
export interface ImportedCredentials {
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  /** when the access token lapses, as the client stated it (from expires_in or expires_at) */
  expires_at?: string | null;
  scope?: string;
  id_token?: string;
}

/**
 * One import of tokens obtained elsewhere. Its `_id` claims the token for the account (one import per
 * token); the tokens wait here, encrypted, until the connection's workflow has proven and saved them.
 */
export interface TokenImportDoc {
  _id: string; // `<accountId>/<rt|at>.<secretHash(token)>`, see tokenImports.ts
  accountId: string;
  connectionId: string;
  provider: string;
  status: 'pending' | 'completed';
  /** tells a repeat of the same import from a different import of the same token */
  requestHash: string;
  /** envelope of ImportedCredentials, associated data = connectionId; removed once the connection holds them */
  credentials?: string;
  connectionName: string;
  scopes: string[];
  connectionConfig: Record<string, string>;
  oauthApp: OAuthAppRef;
  ownerId: string | null;
  ownerProfile?: EndUserProfile;
  integrationId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface IntegrationConnectionDoc {
  _id: string;
  connectionId: string;
  createdAt: Date;
}

export interface AccountDoc {
  _id: string; // accountId
  /** shown to end users on the connect page (the account id when unset) */
  name?: string;
  /** origins (scheme://host[:port]) a request's redirect_url may point at, and the connect popup reports to */
  redirectOrigins: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** What a client may act on, in order per connection; `authorization.*` are flows that made no connection. */
export const EVENT_TYPES = [
  'connection.created',
  /** frequent: webhooks receive it only when they ask for it */
  'connection.refreshed',
  /** a refresh attempt failed for a reason that may pass (5xx, network): it is retried at `next_attempt_at` */
  'connection.refresh_failed',
  'connection.needs_reauth',
  'connection.reauthorized',
  'connection.revocation_failed',
  'connection.deleted',
  /** the provider's token lifetime was too short or unusable: refreshes are paced by the minimum interval */
  'connection.token_lifetime_floored',
  /** planned refreshes paused for a cool-down: too many within the throttle window */
  'connection.refresh_throttled',
  'authorization.failed',
  'authorization.expired',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * One event. `_id` is derived from what caused it (see lib/events/eventId.ts), so an activity retried
 * writes the same event again, not a second one. Listed in `(at, _id)` order.
 */
export interface ConnectionEventDoc {
  _id: string;
  connectionId: string;
  accountId: string;
  provider: string;
  type: EventType;
  /** the event's data as clients see it (never a token) */
  details: Record<string, unknown>;
  at: Date;
}

/** An account's webhook endpoint (`_id` = accountId). */
export interface WebhookDoc {
  _id: string;
  url: string;
  /** the event types sent; `ping` is always sent */
  events: EventType[];
  /** envelope of the Standard Webhooks secret (`whsec_...`), associated data = `webhook:<accountId>` */
  secret: string;
  /** set when a delivery failed for good: nothing more is queued until the endpoint is registered again */
  disabledAt: Date | null;
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryAttempt {
  at: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

/**
 * One message to an account's endpoint (`_id` = the event's id, sent as `webhook-id` on every attempt).
 * A lane is what is delivered in order: a connection's messages, or the account's pings.
 */
export interface WebhookDeliveryDoc {
  _id: string;
  accountId: string;
  lane: string;
  type: EventType | 'ping';
  /** the JSON body, fixed when queued: `{type, timestamp, data}` */
  payload: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  failure: string | null;
  createdAt: Date;
  updatedAt: Date;
}
