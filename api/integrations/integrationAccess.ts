import type { ConnectionDoc, IntegrationDoc } from '../../lib/store/documents.js';
import { currentIntegrationConnection, findIntegration } from '../../lib/store/integrations.js';
import type { ApiContext } from '../ApiContext.js';
import type { Caller } from '../auth/authenticate.js';
import { HttpError } from '../errors/HttpError.js';

export const integrationNotFound = (slug: string) =>
  new HttpError(404, 'not_found', `integration ${slug} not found`, { id: slug });

/** One of the caller's account's integrations, or 404. */
export async function integrationOf(ctx: ApiContext, caller: Caller, slug: string): Promise<IntegrationDoc> {
  const found = await findIntegration(ctx.store, caller.accountId, slug);
  if (!found) throw integrationNotFound(slug);
  return found;
}

/**
 * The end user whose connection the caller means: a user-bound token's own user (naming another is
 * a 403), else the end_user_id an account-level token names, else none (the account's own). A shared
 * integration has one connection for the account whoever asks.
 */
export function integrationOwnerOf(
  caller: Caller,
  integration: Pick<IntegrationDoc, 'mode'>,
  endUserId: string | undefined,
): string | null {
  if (caller.userId !== null && endUserId !== undefined && endUserId !== caller.userId) {
    throw new HttpError(403, 'forbidden', `this API token acts for the end user ${caller.userId}, not ${endUserId}`);
  }
  if (integration.mode === 'shared') return null;
  return caller.userId ?? endUserId ?? null;
}

/** The caller's current connection of an integration, or 404 JSON naming how to make one. */
export async function currentConnectionOf(
  ctx: ApiContext,
  caller: Caller,
  integration: IntegrationDoc,
  endUserId: string | undefined,
): Promise<ConnectionDoc> {
  const ownerId = integrationOwnerOf(caller, integration, endUserId);
  const doc = await currentIntegrationConnection(ctx.store, integration, ownerId);
  if (!doc) {
    throw new HttpError(
      404,
      'not_connected',
      `no connection of integration ${integration.slug}${ownerId ? ` for ${ownerId}` : ''}; GET /api/integrations/${integration.slug}/connect makes one`,
      { id: integration.slug },
    );
  }
  return doc;
}
