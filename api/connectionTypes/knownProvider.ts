import type { ProviderCatalog } from '../../lib/providers/catalog.js';
import type { ProviderEntry } from '../../lib/providers/providerEntry.js';
import { HttpError } from '../errors/HttpError.js';

/** The catalog entry the caller named (its `datasource_id`, or an integration's `type`), else a 400. */
export function knownProvider(catalog: ProviderCatalog, id: string, field = 'datasource_id'): ProviderEntry {
  const entry = catalog.get(id);
  if (!entry) {
    throw new HttpError(400, 'unknown_datasource', `unknown ${field} "${id}"; GET /api/connection_types lists them`);
  }
  return entry;
}
