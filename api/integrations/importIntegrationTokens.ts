import type { ConnectionDoc, IntegrationDoc } from '../../lib/store/documents.js';
import type { ApiContext } from '../ApiContext.js';
import { HttpError } from '../errors/HttpError.js';

/** Tokens obtained elsewhere, for one end user (or the account) of an integration. */
export interface ImportedIntegrationTokens {
  integration: IntegrationDoc;
  ownerId: string | null;
  refreshToken: string;
  accessToken?: string;
  expiresIn?: number;
  scope?: string;
}

/**
 * Creates a connection of the integration from foreign tokens and starts its workflow in the
 * keep-fresh phase. Placeholder until the token import lands: answers 501 so nothing is half made.
 */
export async function importIntegrationTokens(
  _ctx: ApiContext,
  input: ImportedIntegrationTokens,
): Promise<ConnectionDoc> {
  throw new HttpError(
    501,
    'not_implemented',
    `importing tokens into integration ${input.integration.slug} is not available in this build; connect with an authorization code or GET .../connect`,
  );
}
