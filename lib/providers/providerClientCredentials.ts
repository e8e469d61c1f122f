/** Our OAuth app at a provider: CONNECTFLOW_PROVIDER_<ID>_CLIENT_ID / _CLIENT_SECRET. */
export interface ProviderClientCredentials {
  clientId: string;
  clientSecret: string;
}

export function providerEnvPrefix(providerId: string): string {
  return `CONNECTFLOW_PROVIDER_${providerId.toUpperCase()}`;
}

export function providerClientCredentials(
  providerId: string,
  env: NodeJS.ProcessEnv = process.env,
): ProviderClientCredentials | undefined {
  const prefix = providerEnvPrefix(providerId);
  const clientId = env[`${prefix}_CLIENT_ID`];
  const clientSecret = env[`${prefix}_CLIENT_SECRET`];
  return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}
