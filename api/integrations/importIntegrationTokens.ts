import type { IntegrationDoc } from '../../lib/store/documents.js';
import type { ApiContext } from '../ApiContext.js';
import { importConnection, type ImportedConnection } from '../connections/importConnection.js';
import { importedCredentials, type SentTokens } from '../connections/importedCredentials.js';

/**
 * A connection of the integration, for its owner, from tokens obtained elsewhere: imported like
 * `PUT /api/connections` imports (proven by one refresh, never twice), with the integration's type,
 * name, connection_config and app.
 */
export function importIntegrationTokens(
  ctx: ApiContext,
  integration: IntegrationDoc,
  ownerId: string | null,
  sent: SentTokens,
): Promise<ImportedConnection> {
  return importConnection(ctx, {
    accountId: integration.accountId,
    provider: integration.provider,
    connectionName: integration.name,
    credentials: importedCredentials(sent),
    sentCredentials: { ...sent },
    connectionConfig: integration.connectionConfig,
    ownerId: integration.mode === 'shared' ? null : ownerId,
    integration,
  });
}
