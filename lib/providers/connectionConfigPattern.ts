/**
 * The strictness rule of a connection_config field's pattern: anchored, and refusing every string
 * that could move a templated value out of its URL component.
 */

/**
 * Strings that a connection_config pattern must never accept: each of them could move a templated
 * value out of its URL component (another host via `@` or `/`, a port via `:`, the query or fragment
 * via `?` / `#`, a parent path via `..`). `\` counts as `/` for WHATWG URL parsing of https URLs,
 * `%` would smuggle any of them percent-encoded, and whitespace / control characters have no business
 * in a URL component. The empty string is refused too (`https://.zendesk.com`).
 */
const FORBIDDEN_TOKENS = ['/', '@', ':', '?', '#', '..', '\\', '%', ' ', '\t', '\n', '\r'] as const;
const PROBE_AFFIXES = ['', 'a', 'A', '0', 'acme', 'a-b', 'a.b', 'a1', 'us', 'zoho.com'];

export function forbiddenProbes(): string[] {
  const probes = new Set<string>(['']);
  for (const token of FORBIDDEN_TOKENS) {
    for (const before of PROBE_AFFIXES) {
      for (const after of PROBE_AFFIXES) probes.add(`${before}${token}${after}`);
    }
  }
  // Paths and hosts an attacker would actually try.
  for (const p of [
    '..',
    '../x',
    'a/..',
    'evil.com/',
    'evil.com#',
    'evil.com?',
    'user@evil.com',
    'evil.com:443',
    'a.b..c',
  ]) {
    probes.add(p);
  }
  return [...probes];
}

/** `^...$` around the whole expression: no top-level `|` that would leave an alternative unanchored. */
export function isAnchored(source: string): boolean {
  if (!source.startsWith('^') || !source.endsWith('$')) return false;
  // The final `$` must not be escaped (`\$` is a literal dollar): count the backslashes before it.
  let backslashes = 0;
  for (let i = source.length - 2; i >= 0 && source[i] === '\\'; i--) backslashes++;
  if (backslashes % 2 === 1) return false;
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return false;
  }
  return true;
}

/** Why a connection_config pattern is not strict enough, or undefined when it is. */
export function patternProblem(source: string): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    return `not a valid regular expression (${(err as Error).message})`;
  }
  if (!isAnchored(source)) return 'must be anchored as ^...$ with no top-level |';
  const accepted = forbiddenProbes().filter((p) => re.test(p));
  if (accepted.length > 0) {
    return `accepts ${accepted
      .slice(0, 3)
      .map((p) => JSON.stringify(p))
      .join(', ')}: a pattern must never allow / @ : ? # .. \\ % or whitespace, nor the empty string`;
  }
  return undefined;
}
