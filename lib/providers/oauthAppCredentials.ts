import { providerEnvPrefix, type Config, type ProviderApp } from '../config.js';
import type { KeyRing } from '../crypto/keyRing.js';
import type { IntegrationDoc, OAuthAppRef } from '../store/documents.js';
import { findOAuthApp } from '../store/oauthApps.js';
import type { Store } from '../store/openStore.js';
import { providerClientCredentials } from './providerClientCredentials.js';
import type { ProviderEntry } from './providerEntry.js';

type Entry = Pick<ProviderEntry, 'id' | 'aliases' | 'name'>;

export interface ChosenOAuthApp {
  ref: OAuthAppRef;
  /** the integration's or account app's scopes, asked for when a request names none */
  scopes: string[] | null;
}

type AppIntegration = Pick<IntegrationDoc, '_id' | 'clientId' | 'clientSecret' | 'scopes'>;

/**
 * The app a new authorization uses: the integration's own (when made through one that has one), else
 * the account's own for the source type, else the service's; null when none.
 */
export async function chooseOAuthApp(
  store: Pick<Store, 'oauthApps'>,
  config: Pick<Config, 'providerApps'>,
  accountId: string,
  entry: Entry,
  integration: AppIntegration | null = null,
): Promise<ChosenOAuthApp | null> {
  if (integration?.clientId && integration.clientSecret) {
    const { _id: appId, clientId, clientSecret } = integration;
    return { ref: { kind: 'integration', appId, clientId, clientSecret }, scopes: integration.scopes };
  }
  const own = await findOAuthApp(store, accountId, entry.id);
  if (own) {
    return {
      ref: { kind: 'account', appId: own._id, clientId: own.clientId, clientSecret: own.clientSecret },
      scopes: own.scopes,
    };
  }
  return providerClientCredentials(config, entry) ? { ref: { kind: 'service' }, scopes: null } : null;
}

/**
 * The client credentials of a chosen app. An account's (or integration's) app is read as it is now while it is still the
 * same client (a replaced secret carries over); once replaced by another client or deleted, the
 * snapshot taken at authorization is used, so the connection's tokens stay with the client they were issued to.
 */
export async function oauthAppCredentials(
  store: Pick<Store, 'oauthApps' | 'integrations'>,
  keyRing: KeyRing,
  config: Pick<Config, 'providerApps'>,
  entry: Entry,
  ref: OAuthAppRef = { kind: 'service' },
): Promise<ProviderApp | undefined> {
  if (ref.kind === 'service') return providerClientCredentials(config, entry);
  const live =
    ref.kind === 'account'
      ? await store.oauthApps.findOne({ _id: ref.appId })
      : await store.integrations.findOne({ _id: ref.appId });
  const liveSecret = live && live.clientId === ref.clientId ? live.clientSecret : null;
  return {
    clientId: ref.clientId,
    clientSecret: keyRing.decrypt(liveSecret ?? ref.clientSecret, ref.appId).toString('utf8'),
  };
}

/** What to configure for a provider without an app (through an integration: its own app comes first). */
export function notConfiguredMessage(entry: Entry, integrationSlug?: string | null): string {
  const prefix = providerEnvPrefix(entry.id);
  const own = integrationSlug
    ? `give the integration its own (PUT /api/integrations/${integrationSlug} with client_id and client_secret), `
    : '';
  return `${entry.name} has no OAuth app: ${own}PUT /api/oauth_apps/${entry.id} for this account, or set ${prefix}_CLIENT_ID/_CLIENT_SECRET for the service`;
}
