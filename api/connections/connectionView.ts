import type { ConnectionDoc } from '../../lib/store/documents.js';

/** A connection as the API shows it: everything but the tokens. */
export function connectionView(doc: ConnectionDoc) {
  return {
    _id: doc._id,
    cross_id: doc._id,
    connection_name: doc.name,
    connection_type: doc.provider,
    status: doc.status,
    scopes: doc.scopes,
    tokenExpiresAt: doc.tokenExpiresAt?.toISOString() ?? null,
    refreshTokenExpiresAt: doc.refreshTokenExpiresAt?.toISOString() ?? null,
    lastAuthorizedAt: doc.lastAuthorizedAt.toISOString(),
    lastRefreshedAt: doc.lastRefreshedAt?.toISOString() ?? null,
    apiBaseUri: doc.apiBaseUri,
    connectionConfig: doc.connectionConfig ?? {},
    providerData: doc.providerData,
    ownerId: doc.ownerId ?? null,
    integrationId: doc.integrationId ?? null,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}
