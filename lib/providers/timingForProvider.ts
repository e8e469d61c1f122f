import type { RefreshTiming } from '../config.js';
import type { ProviderEntry } from './catalog.js';

/**
 * The refresh timing of one provider's connections: a provider that refuses to refresh a token with
 * more than `refreshNotBeforeSeconds` left is refreshed inside that window (the margin shrinks to it).
 */
export function timingForProvider(
  base: RefreshTiming,
  provider: Pick<ProviderEntry, 'refreshNotBeforeSeconds'> | undefined,
): RefreshTiming {
  const window = provider?.refreshNotBeforeSeconds;
  if (window === undefined || window >= base.marginSeconds) return base;
  return { ...base, marginSeconds: window };
}
