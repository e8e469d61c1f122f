import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { refreshTiming } from '../../lib/config.js';
import { checkConnectionConfig, ConnectionConfigError } from '../../lib/providers/connectionConfig.js';
import type { ProviderEntry } from '../../lib/providers/providerEntry.js';
import { chooseOAuthApp, notConfiguredMessage } from '../../lib/providers/oauthAppCredentials.js';
import {
  DiscoveryError,
  HostNotAllowedError,
  resolveAuthorizationServer,
} from '../../lib/providers/resolveAuthorizationServer.js';
import { templateNames } from '../../lib/providers/urlTemplates.js';
import { timingForProvider } from '../../lib/providers/timingForProvider.js';
import type { ApiContext } from '../ApiContext.js';
import { assertRedirectAllowed } from '../account/assertRedirectAllowed.js';
import { type Caller, callerOf } from '../auth/authenticate.js';
import type { EndUserProfile, IntegrationDoc } from '../../lib/store/documents.js';
import { dependencyUnavailable } from '../errors/dependencyUnavailable.js';
import { HttpError } from '../errors/HttpError.js';
import type { NewOAuth2RequestBody } from './oauth2Schemas.js';
import { startConnectionFlow, type NewAuthorization } from './startConnectionFlow.js';
import { knownProvider } from '../connectionTypes/knownProvider.js';

/**
 * A new OAuth2 request of the calling account: checks the provider, its connection_config and the
 * redirect_url, and that the provider's server can be resolved for these values (discovery; hosts
 * filled from a value must be public), then starts the flow. Nothing starts on any failure. An alias
 * (e.g. `gspreadsheet`) stays the connection's provider, so Rivery clients read back what they sent.
 * The connection's end user is the caller's (see ownerOf); `through` makes it an integration's
 * connection instead, with the integration's app, owner and pages.
 */
export async function issueAuthorization(
  ctx: ApiContext,
  request: FastifyRequest,
  body: z.infer<typeof NewOAuth2RequestBody>,
  through?: ThroughIntegration,
): Promise<NewAuthorization> {
  const caller = callerOf(request);
  const { accountId } = caller;
  const owner: Omit<ThroughIntegration, 'integration'> & { integration: IntegrationDoc | null } = through ?? {
    ...ownerOf(caller, body.end_user),
    integration: null,
    errorRedirectUrl: null,
  };
  const entry = knownProvider(ctx.catalog, body.datasource_id);
  const connectionConfig = checkedConnectionConfig(entry, body.connection_config);
  // The flow's first activity chooses the app for good; this only answers early when there is none.
  if (!(await chooseOAuthApp(ctx.store, ctx.config, accountId, entry, owner.integration))) {
    throw new HttpError(422, 'provider_not_configured', notConfiguredMessage(entry, owner.integration?.slug));
  }
  await assertRedirectAllowed(ctx.store, accountId, body.redirect_url);
  await assertResolvable(ctx, entry, connectionConfig);
  try {
    return await startConnectionFlow(
      ctx.temporal,
      ctx.config.TEMPORAL_TASK_QUEUE,
      timingForProvider(refreshTiming(ctx.config), entry),
      {
        accountId,
        provider: body.datasource_id,
        validitySeconds: body.validity_duration,
        scopes: body.scopes ?? null,
        redirectUrl: body.redirect_url ?? null,
        connectionName: body.connection_name ?? null,
        connectionConfig,
        ownerId: owner.ownerId,
        ...(owner.ownerProfile ? { ownerProfile: owner.ownerProfile } : {}),
        integrationId: owner.integration?.slug ?? null,
        errorRedirectUrl: owner.errorRedirectUrl,
        ...(owner.clientGrant ? { clientGrant: owner.clientGrant } : {}),
      },
    );
  } catch (err) {
    if (dependencyUnavailable(err)) throw err;
    request.log.warn({ err }, 'could not issue an authorization request');
    throw new HttpError(502, 'provider_unavailable', `could not prepare the authorization at ${entry.name}; try again`);
  }
}

/** Whom a connection made through an integration is for, and where its outcome goes. */
export interface ThroughIntegration {
  integration: IntegrationDoc;
  ownerId: string | null;
  ownerProfile?: EndUserProfile;
  errorRedirectUrl: string | null;
  /** the client redeems a code it obtained itself (POST /api/integrations/:id/connect) */
  clientGrant?: { redirectUri: string; codeVerifier: string | null };
}

/**
 * The end user a new connection belongs to: a user-bound token's own user (naming another is a 403),
 * else the `end_user` an account-level token names, else none (the account's own connection).
 */
export function ownerOf(
  caller: Caller,
  endUser: { id: string; email?: string; display_name?: string } | undefined,
): { ownerId: string | null; ownerProfile?: EndUserProfile } {
  if (caller.userId !== null && endUser && endUser.id !== caller.userId) {
    throw new HttpError(403, 'forbidden', `this API token acts for the end user ${caller.userId}, not ${endUser.id}`);
  }
  const ownerId = caller.userId ?? endUser?.id ?? null;
  if (!endUser || (endUser.email === undefined && endUser.display_name === undefined)) return { ownerId };
  const ownerProfile: EndUserProfile = {
    ...(endUser.email !== undefined ? { email: endUser.email } : {}),
    ...(endUser.display_name !== undefined ? { displayName: endUser.display_name } : {}),
  };
  return { ownerId, ownerProfile };
}

const invalidConfig = (field: string, message: string) =>
  new HttpError(400, 'invalid_connection_config', message, [{ path: `body.connection_config.${field}`, message }]);

export function checkedConnectionConfig(entry: ProviderEntry, given: Record<string, string> | undefined) {
  try {
    return checkConnectionConfig(entry, given);
  } catch (err) {
    if (err instanceof ConnectionConfigError) throw invalidConfig(err.field, err.message);
    throw err;
  }
}

/** A failed discovery is the provider's trouble (502); a filled host that is not public, the caller's value (400). */
export async function assertResolvable(
  ctx: ApiContext,
  entry: ProviderEntry,
  connectionConfig: Record<string, string>,
) {
  try {
    await resolveAuthorizationServer(entry, connectionConfig, {
      allowLoopbackHttp: ctx.config.NODE_ENV !== 'production',
    });
  } catch (err) {
    if (err instanceof DiscoveryError) throw new HttpError(502, 'discovery_failed', err.message);
    if (!(err instanceof HostNotAllowedError)) throw err;
    const field = hostFields(entry)[0];
    if (field) throw invalidConfig(field, `connection_config.${field} is not allowed: ${err.message}`);
    throw new HttpError(502, 'provider_misconfigured', `${entry.name}: ${err.message}`);
  }
}

/** The connection_config fields that fill a host in one of the provider's URLs. */
function hostFields(entry: ProviderEntry): string[] {
  const urls = [entry.issuer, entry.authorizationEndpoint, entry.tokenEndpoint, entry.revocationEndpoint];
  const hosts = urls.map((url) => /^[a-z]+:\/\/([^/?#]*)/i.exec(url ?? '')?.[1] ?? '');
  return [...new Set(hosts.flatMap(templateNames))];
}
