import { apiBaseUriFor } from '../../lib/providers/apiBaseUriFor.js';
import type { ProviderEntry } from '../../lib/providers/providerEntry.js';
import type { ConnectionDoc, IntegrationDoc } from '../../lib/store/documents.js';

/** An integration as the API shows it: never its client secret. */
export function integrationView(doc: IntegrationDoc) {
  return {
    id: doc.slug,
    type: doc.provider,
    name: doc.name,
    mode: doc.mode,
    scopes: doc.scopes,
    connection_config: doc.connectionConfig,
    client_id: doc.clientId,
    api_base_uri: doc.apiBaseUri,
    success_url: doc.successUrl,
    error_url: doc.errorUrl,
    created_at: doc.createdAt.toISOString(),
    updated_at: doc.updatedAt.toISOString(),
  };
}

/** A connection as the integrations API shows it: its integration's API base first, no tokens. */
export function integrationConnectionView(
  doc: ConnectionDoc,
  integration: Pick<IntegrationDoc, 'slug' | 'mode' | 'apiBaseUri'>,
  entry: ProviderEntry | undefined,
) {
  return {
    id: doc._id,
    integrationId: integration.slug,
    ownerId: doc.ownerId ?? null,
    isShared: integration.mode === 'shared',
    tokenExpiresAt: doc.tokenExpiresAt?.toISOString() ?? null,
    refreshTokenExpiresAt: doc.refreshTokenExpiresAt?.toISOString() ?? null,
    lastAuthorizedAt: doc.lastAuthorizedAt.toISOString(),
    apiBaseUri: apiBaseUriFor(doc, entry, integration.apiBaseUri)?.href.replace(/\/$/, '') ?? null,
    data: doc.providerData,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}
