import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { refreshTiming } from '../../lib/config.js';
import { providerClientCredentials, providerEnvPrefix } from '../../lib/providers/providerClientCredentials.js';
import { timingForProvider } from '../../lib/providers/timingForProvider.js';
import type { ApiContext } from '../ApiContext.js';
import { assertRedirectAllowed } from '../account/assertRedirectAllowed.js';
import { callerOf } from '../auth/authenticate.js';
import { dependencyUnavailable } from '../errors/dependencyUnavailable.js';
import { HttpError } from '../errors/HttpError.js';
import type { NewOAuth2RequestBody } from './oauth2Schemas.js';
import { startConnectionFlow, type NewAuthorization } from './startConnectionFlow.js';

/** A new OAuth2 request of the calling account: checks the provider and redirect_url, starts the flow. */
export async function issueAuthorization(
  ctx: ApiContext,
  request: FastifyRequest,
  body: z.infer<typeof NewOAuth2RequestBody>,
): Promise<NewAuthorization> {
  const { accountId } = callerOf(request);
  const entry = ctx.catalog.get(body.datasource_id);
  if (!entry) {
    throw new HttpError(
      400,
      'unknown_datasource',
      `unknown datasource_id "${body.datasource_id}"; GET /api/connection_types lists them`,
    );
  }
  if (!providerClientCredentials(entry.id, ctx.env)) {
    throw new HttpError(
      422,
      'provider_not_configured',
      `${entry.name} has no OAuth app configured here (${providerEnvPrefix(entry.id)}_CLIENT_ID/_CLIENT_SECRET)`,
    );
  }
  await assertRedirectAllowed(ctx.store, accountId, body.redirect_url);
  try {
    return await startConnectionFlow(
      ctx.temporal,
      ctx.config.TEMPORAL_TASK_QUEUE,
      timingForProvider(refreshTiming(ctx.config), entry),
      {
        accountId,
        provider: entry.id,
        validitySeconds: body.validity_duration,
        scopes: body.scopes ?? null,
        redirectUrl: body.redirect_url ?? null,
        connectionName: body.connection_name ?? null,
      },
    );
  } catch (err) {
    if (dependencyUnavailable(err)) throw err;
    request.log.warn({ err }, 'could not issue an authorization request');
    throw new HttpError(502, 'provider_unavailable', `could not prepare the authorization at ${entry.name}; try again`);
  }
}
