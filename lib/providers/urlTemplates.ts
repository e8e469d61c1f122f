/** `{name}` templates inside catalog URLs and parameters, filled from a connection's connection_config. */
const TEMPLATE = /\{([^{}]*)\}/g;
export const TEMPLATE_NAME = /^[a-z][a-z0-9_]*$/;

/** The template names used in a string, in order of first use. */
export function templateNames(value: string): string[] {
  return [...new Set([...value.matchAll(TEMPLATE)].map((m) => m[1] ?? ''))];
}

/** The string with every `{name}` replaced by its value; a name without a value is an error (never left as is). */
export function fillTemplate(value: string, values: Readonly<Record<string, string>>): string {
  return value.replace(TEMPLATE, (_match, name: string) => {
    const filled = values[name];
    if (filled === undefined) throw new Error(`no value for {${name}}`);
    return filled;
  });
}

/** Whether the host part of a (templated) URL is itself templated, e.g. `https://{subdomain}.zendesk.com`. */
export function hasTemplatedHost(value: string): boolean {
  const authority = /^[a-z]+:\/\/([^/?#]*)/i.exec(value)?.[1] ?? '';
  return authority.includes('{');
}

/** A loopback host literal (the demo and test providers listen there). */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Why a (possibly templated) catalog URL is not acceptable, or undefined when it is: https only, no
 * credentials, a host. `allowLoopbackHttp` (extra providers outside production) also admits plain
 * http to a loopback host, or to a templated host (the filled URL is checked again before use).
 */
export function urlProblem(
  value: string,
  { allowTemplates, allowLoopbackHttp }: { allowTemplates: boolean; allowLoopbackHttp: boolean },
): string | undefined {
  const names = templateNames(value);
  if (names.length > 0 && !allowTemplates) return 'templates are not allowed here';
  for (const name of names) {
    if (!TEMPLATE_NAME.test(name)) return `template {${name}} is not a snake_case name`;
  }
  // Substitute a harmless DNS label so that hosts such as https://{subdomain}.zendesk.com parse.
  const concrete = value.replace(TEMPLATE, 'tpl');
  if (/[{}]/.test(concrete)) return 'unbalanced { or }';
  if (/\s/.test(value)) return 'contains whitespace';
  let url: URL;
  try {
    url = new URL(concrete);
  } catch {
    return 'not a URL';
  }
  const loopbackHttp =
    allowLoopbackHttp &&
    url.protocol === 'http:' &&
    value.toLowerCase().startsWith('http://') &&
    (isLoopbackHostname(url.hostname) || hasTemplatedHost(value));
  if (!loopbackHttp) {
    if (url.protocol !== 'https:') return 'must be https';
    if (!value.toLowerCase().startsWith('https://')) return 'must start with https://';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hostname === '') return 'has no host';
  return undefined;
}
