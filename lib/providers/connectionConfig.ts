import type { ProviderEntry } from './providerEntry.js';

/** A connection's values for its provider's `{name}` templates (e.g. `{ subdomain: 'acme' }`). Not secret. */
export type ConnectionConfig = Record<string, string>;

/** Characters no value may hold whatever its pattern says: each could move it out of its URL component. */
const NEVER_ALLOWED = /[/@:?#\\%\s]|\.\./;

export class ConnectionConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The values checked against the provider's declared fields: every field present and matching its
 * pattern, nothing undeclared. Throws ConnectionConfigError naming the first bad field.
 */
export function checkConnectionConfig(
  entry: Pick<ProviderEntry, 'name' | 'connectionConfig'>,
  given: Readonly<Record<string, unknown>> | null | undefined,
): ConnectionConfig {
  const values = given ?? {};
  for (const name of Object.keys(values)) {
    if (!(name in entry.connectionConfig)) {
      throw new ConnectionConfigError(name, `connection_config.${name} is not a field of ${entry.name}`);
    }
  }
  const checked: ConnectionConfig = {};
  for (const [name, field] of Object.entries(entry.connectionConfig)) {
    const value = values[name];
    if (value === undefined || value === null || value === '') {
      throw new ConnectionConfigError(name, `connection_config.${name} is required: ${field.description}`);
    }
    if (
      typeof value !== 'string' ||
      value.length > 253 ||
      NEVER_ALLOWED.test(value) ||
      !new RegExp(field.pattern).test(value)
    ) {
      throw new ConnectionConfigError(
        name,
        `connection_config.${name} must match ${field.pattern} (${field.description})`,
      );
    }
    checked[name] = value;
  }
  return checked;
}
