import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { NewRequest, contenderApp } from '../contenderApp.js';
import { parseKeyRing } from '../../../lib/crypto/keyRing.js';
import { readDirectConfig } from './config.js';

/**
 * The direct contender: the same three endpoints written the way a team would without Temporal.
 * Fastify + oauth4webapi (discovery, PKCE S256, the real code exchange at the provider) + MongoDB
 * (the pending request with its state and verifier in one collection, the tokens, encrypted with the
 * same AES-GCM key ring, in another). A fixed Bearer token compared in memory; no logging.
 */
const config = readDirectConfig();
const keyRing = parseKeyRing(config.encryptionKeys);
const mongo = new MongoClient(config.mongoUri, { serverSelectionTimeoutMS: 10_000 });
await mongo.connect();
const db = mongo.db(config.database);

interface RequestDoc {
  _id: string; // pull_id
  state: string;
  codeVerifier: string;
  status: 'pending' | 'exchanging' | 'completed' | 'failed';
  connectionId: string | null;
  error: { error: string; error_description: string | null } | null;
  expiresAt: Date;
  createdAt: Date;
}
interface ConnectionDoc {
  _id: string;
  credentials: string;
  tokenExpiresAt: Date | null;
  createdAt: Date;
}
const requests = db.collection<RequestDoc>('oauth_requests');
const connections = db.collection<ConnectionDoc>('connections');
await requests.createIndex({ state: 1 }, { unique: true });

const insecure = { [oauth.allowInsecureRequests]: true } as const; // the demo provider is plain http on loopback
const issuer = new URL(config.issuer);
const as = await oauth.processDiscoveryResponse(
  issuer,
  await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
);
const client: oauth.Client = { client_id: config.clientId };
const clientAuth = oauth.ClientSecretBasic(config.clientSecret);

const app = contenderApp(config.apiToken);

app.post('/api/oauth2', async (request) => {
  const body = NewRequest.parse(request.body);
  const pullId = randomUUID();
  const state = oauth.generateRandomState();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + body.validity_duration * 1000);
  await requests.insertOne({
    _id: pullId,
    state,
    codeVerifier,
    status: 'pending',
    connectionId: null,
    error: null,
    expiresAt,
    createdAt: now,
  });
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', config.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', 'read');
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return { pull_id: pullId, auth_uri: url.href, expires_at: expiresAt.toISOString() };
});

app.get('/oauth2/callback', async (request, reply) => {
  const params = new URL(request.url, 'http://callback').searchParams;
  const state = params.get('state');
  if (!state) return reply.code(400).send({ connected: false, error: 'invalid_request' });
  // Claim the request once: a replayed callback finds it no longer pending.
  const claimed = await requests.findOneAndUpdate(
    { state, status: 'pending', expiresAt: { $gt: new Date() } },
    { $set: { status: 'exchanging' } },
  );
  if (!claimed) return reply.code(409).send({ connected: false, error: 'already_used_or_expired' });
  const fail = async (error: string, description: string | null) => {
    await requests.updateOne(
      { _id: claimed._id },
      { $set: { status: 'failed', error: { error, error_description: description } } },
    );
    return reply.code(422).send({ connected: false, error, error_description: description });
  };
  let tokens: oauth.TokenEndpointResponse;
  try {
    const validated = oauth.validateAuthResponse(as, client, params, state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      validated,
      config.redirectUri,
      claimed.codeVerifier,
      insecure,
    );
    tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError || err instanceof oauth.ResponseBodyError) {
      return fail(err.error, err.error_description ?? null);
    }
    return fail('exchange_failed', (err as Error).message);
  }
  const connectionId = randomUUID();
  const now = new Date();
  await connections.insertOne({
    _id: connectionId,
    credentials: keyRing.encryptJson(
      {
        access_token: tokens.access_token,
        token_type: tokens.token_type,
        refresh_token: tokens.refresh_token,
        scope: tokens.scope,
      },
      connectionId,
    ),
    tokenExpiresAt: typeof tokens.expires_in === 'number' ? new Date(now.getTime() + tokens.expires_in * 1000) : null,
    createdAt: now,
  });
  await requests.updateOne({ _id: claimed._id }, { $set: { status: 'completed', connectionId } });
  return { connected: true, connection_id: connectionId };
});

const Credentials = z.object({ pull_id: z.string() });
app.post('/api/oauth2/credentials', async (request, reply) => {
  const { pull_id } = Credentials.parse(request.body);
  const found = await requests.findOne({ _id: pull_id });
  if (!found) return reply.code(404).send({ error: 'not_found' });
  if (found.status === 'failed') return reply.code(422).send(found.error);
  if (found.status !== 'completed' || !found.connectionId) {
    if (found.expiresAt < new Date()) return reply.code(410).send({ error: 'expired' });
    return reply.code(202).send({ status: 'pending' });
  }
  const connection = await connections.findOne({ _id: found.connectionId });
  if (!connection) return reply.code(410).send({ error: 'deleted' });
  return {
    status: 200,
    connection_id: connection._id,
    ...keyRing.decryptJson<Record<string, unknown>>(connection.credentials, connection._id),
    expires_at: connection.tokenExpiresAt?.toISOString() ?? null,
  };
});

await app.listen({ host: '127.0.0.1', port: config.port });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(
    signal,
    () =>
      void app
        .close()
        .then(() => mongo.close())
        .then(() => process.exit(0)),
  );
}
