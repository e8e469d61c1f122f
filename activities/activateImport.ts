import type { TokenEndpointResponse } from 'oauth4webapi';
import { timingForProvider } from '../lib/providers/timingForProvider.js';
import { authorizedConnection } from '../lib/store/authorizedConnection.js';
import type { ImportedCredentials, TokenImportDoc } from '../lib/store/documents.js';
import { pointIntegrationConnection } from '../lib/store/integrations.js';
import { setById } from '../lib/store/setById.js';
import { tokenClockOf } from '../lib/store/tokenClock.js';
import { completeTokenImport, dropTokenImport } from '../lib/store/tokenImports.js';
import { eventId } from '../lib/events/eventId.js';
import type { ActivityContext } from './activityContext.js';
import type { ProviderErrorDetails, SavedConnection } from './exchangeCodeAndSave.js';
import { providerForActivity } from './providerForActivity.js';
import { announceEvent, recordLifetimeFloored, writeEvent } from './recordConnectionEvent.js';
import { requestRefreshGrant } from './requestRefreshGrant.js';

export type ImportActivation = { saved: SavedConnection } | { saved: null; error: ProviderErrorDetails };

/**
 * The first step of an imported connection: with a refresh token, one refresh grant proves the tokens
 * (a refusal or an unreachable provider saves nothing and frees the token for another import);
 * without one, the access token is kept as given. Then the connection is saved like a flow's
 * (event, connection, integration pointer) and the import keeps only its claim. A retry that finds
 * this import's connection saved only completes the import.
 */
export async function activateImport(
  ctx: ActivityContext,
  input: { connectionId: string; importId: string },
): Promise<ImportActivation> {
  const { connectionId, importId } = input;
  const saved = await ctx.store.connections.findOne({ _id: connectionId });
  if (saved && saved.authorizationRequestId === importId) {
    const created = await ctx.store.events.findOne({ _id: eventId('connection.created', connectionId, importId) });
    if (created) await announceEvent(ctx, created);
    await completeTokenImport(ctx.store, importId);
    return { saved: summary(ctx, saved) };
  }
  const claim = await ctx.store.tokenImports.findOne({ _id: importId });
  if (!claim || claim.connectionId !== connectionId || !claim.credentials) {
    return { saved: null, error: { error: 'import_superseded', error_description: 'this import was replaced' } };
  }
  const imported = ctx.keyRing.decryptJson<ImportedCredentials>(claim.credentials, connectionId);
  const resolved = await providerForActivity(ctx, claim.provider, claim.connectionConfig, claim.oauthApp);

  const now = new Date();
  let tokens = givenTokens(imported);
  let lifetimeProblem = null;
  if (imported.refresh_token) {
    const grant = await requestRefreshGrant(ctx, resolved, imported.refresh_token);
    if (grant.kind !== 'tokens') {
      await dropTokenImport(ctx.store, importId);
      return { saved: null, error: { error: grant.error, error_description: grant.description } };
    }
    // A provider that does not rotate refresh tokens answers without one: the imported one stays.
    tokens = { ...grant.tokens, refresh_token: grant.tokens.refresh_token || imported.refresh_token };
    lifetimeProblem = grant.lifetimeProblem;
  }

  const request = { ...claim, _id: importId };
  const { fields, firstFields } = authorizedConnection(request, tokens, resolved.entry, ctx.keyRing, now, {
    connectionConfig: resolved.connectionConfig,
  });
  // Tokens kept as given lapse when the client said (expires_in or expires_at), else never known.
  if (!imported.refresh_token) fields.tokenExpiresAt = imported.expires_at ? new Date(imported.expires_at) : null;
  const doc = { _id: connectionId, ...fields };
  const created = await writeEvent(ctx, doc, 'connection.created', [importId], {
    imported: true,
    scopes: fields.scopes,
  });
  const first = { ...firstFields, adoptedAt: now, lastRefreshedAt: imported.refresh_token ? now : null };
  await setById(ctx.store.connections, connectionId, { $set: fields, $setOnInsert: first }, { upsert: true });
  await pointIntegrationConnection(ctx.store, doc);
  await announceEvent(ctx, created);
  if (lifetimeProblem) await recordLifetimeFloored(ctx, doc, lifetimeProblem);
  await completeTokenImport(ctx.store, importId);
  return { saved: summary(ctx, { ...doc, lastRefreshedAt: first.lastRefreshedAt }) };
}

/** The imported tokens as a token response (their lapse is set from the import itself). */
function givenTokens(imported: ImportedCredentials): TokenEndpointResponse {
  return {
    access_token: imported.access_token ?? '',
    token_type: (imported.token_type ?? 'bearer').toLowerCase() as TokenEndpointResponse['token_type'],
    ...(imported.refresh_token ? { refresh_token: imported.refresh_token } : {}),
    ...(imported.scope ? { scope: imported.scope } : {}),
    ...(imported.id_token ? { id_token: imported.id_token } : {}),
  };
}

function summary(
  ctx: ActivityContext,
  doc: Pick<TokenImportDoc, 'provider'> & { _id: string } & Parameters<typeof tokenClockOf>[0],
): SavedConnection {
  return {
    connectionId: doc._id,
    clock: tokenClockOf(doc),
    timing: timingForProvider(ctx.timing, ctx.catalog.get(doc.provider)),
  };
}
