import { MongoClient, type Collection, type Db } from 'mongodb';
import type { Config } from '../config.js';
import type {
  AccountDoc,
  ApiTokenDoc,
  CallbackClaimDoc,
  CodecSessionDoc,
  ConnectPageDoc,
  ConnectionDoc,
  ConnectionEventDoc,
  IntegrationConnectionDoc,
  IntegrationDoc,
  OAuthAppDoc,
  OAuthRequestDoc,
  TokenImportDoc,
  FlowSecretDoc,
  FlowSecretUseDoc,
  WebhookDeliveryDoc,
  WebhookDoc,
} from './documents.js';

export interface Store {
  client: MongoClient;
  db: Db;
  connections: Collection<ConnectionDoc>;
  oauthRequests: Collection<OAuthRequestDoc>;
  callbackClaims: Collection<CallbackClaimDoc>;
  apiTokens: Collection<ApiTokenDoc>;
  events: Collection<ConnectionEventDoc>;
  codecSessions: Collection<CodecSessionDoc>;
  accounts: Collection<AccountDoc>;
  oauthApps: Collection<OAuthAppDoc>;
  webhooks: Collection<WebhookDoc>;
  webhookDeliveries: Collection<WebhookDeliveryDoc>;
  connectPages: Collection<ConnectPageDoc>;
  integrations: Collection<IntegrationDoc>;
  integrationConnections: Collection<IntegrationConnectionDoc>;
  tokenImports: Collection<TokenImportDoc>;
  flowSecrets: Collection<FlowSecretDoc>;
  flowSecretUses: Collection<FlowSecretUseDoc>;
  close(): Promise<void>;
}

/** Connects to MongoDB (or FerretDB) and makes sure the indexes exist; what each guards: lib/store/README.md. */
export async function openStore(config: Pick<Config, 'MONGODB_URI' | 'MONGODB_DATABASE'>): Promise<Store> {
  // Fail fast while MongoDB is away (the API answers 503, activities are retried by Temporal).
  const client = new MongoClient(config.MONGODB_URI, { serverSelectionTimeoutMS: 3_000 });
  await client.connect();
  const store = storeOn(client, config.MONGODB_DATABASE);
  await Promise.all([
    store.connections.createIndex({ accountId: 1, _id: 1 }),
    store.connections.createIndex({ status: 1, tokenExpiresAt: 1 }),
    store.oauthRequests.createIndex({ stateHash: 1 }, { unique: true }),
    store.oauthRequests.createIndex({ accountId: 1, connectionId: 1 }),
    store.apiTokens.createIndex({ accountId: 1 }),
    store.apiTokens.createIndex({ tokenId: 1 }, { unique: true }),
    store.events.createIndex({ accountId: 1, connectionId: 1, at: -1 }),
    store.oauthApps.createIndex({ accountId: 1 }),
    store.integrations.createIndex({ accountId: 1 }),
    store.connections.createIndex({ accountId: 1, integrationId: 1 }),
    store.events.createIndex({ accountId: 1, at: 1, _id: 1 }),
    store.events.createIndex({ at: 1 }),
    store.webhookDeliveries.createIndex({ accountId: 1, lane: 1, status: 1, createdAt: 1 }),
    store.webhookDeliveries.createIndex({ accountId: 1, createdAt: -1 }),
  ]);
  return store;
}

/** The collections on a client, without connecting or checking anything (openStore does both). */
export function storeOn(client: MongoClient, database: string): Store {
  const db = client.db(database);
  return {
    client,
    db,
    connections: db.collection<ConnectionDoc>('connections'),
    oauthRequests: db.collection<OAuthRequestDoc>('oauth_requests'),
    callbackClaims: db.collection<CallbackClaimDoc>('callback_claims'),
    apiTokens: db.collection<ApiTokenDoc>('api_tokens'),
    events: db.collection<ConnectionEventDoc>('events'),
    codecSessions: db.collection<CodecSessionDoc>('codec_sessions'),
    accounts: db.collection<AccountDoc>('accounts'),
    oauthApps: db.collection<OAuthAppDoc>('oauth_apps'),
    webhooks: db.collection<WebhookDoc>('webhooks'),
    webhookDeliveries: db.collection<WebhookDeliveryDoc>('webhook_deliveries'),
    connectPages: db.collection<ConnectPageDoc>('connect_pages'),
    integrations: db.collection<IntegrationDoc>('integrations'),
    integrationConnections: db.collection<IntegrationConnectionDoc>('integration_connections'),
    tokenImports: db.collection<TokenImportDoc>('token_imports'),
    flowSecrets: db.collection<FlowSecretDoc>('flow_secrets'),
    flowSecretUses: db.collection<FlowSecretUseDoc>('flow_secret_uses'),
    close: () => client.close(),
  };
}
