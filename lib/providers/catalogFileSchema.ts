import { z } from 'zod';

/**
 * The on-disk format of one provider catalog file, `catalog/<id>.yaml` (snake_case keys; this schema
 * is the format's definition). Strict: unknown keys are rejected at every level, so a typo
 * (`token_endpiont`) fails instead of silently dropping a setting.
 *
 * Not wired into the OAuth flows yet: lib/providers/catalog.ts stays the runtime catalog.
 */

export const CATALOG_CATEGORIES = [
  'accounting',
  'analytics',
  'advertising',
  'calendar',
  'communication',
  'crm',
  'data-warehouse',
  'design',
  'developer-tools',
  'documents',
  'ecommerce',
  'education',
  'email',
  'finance',
  'fitness',
  'forms',
  'gaming',
  'hr',
  'identity',
  'iot',
  'marketing',
  'media',
  'payments',
  'productivity',
  'project-management',
  'social',
  'storage',
  'support',
  'video',
] as const;

export const CATALOG_ID_PATTERN = /^[a-z0-9_]+$/;

/** A `{name}` template inside a URL. */
const TEMPLATE = /\{([^{}]*)\}/g;
const TEMPLATE_NAME = /^[a-z][a-z0-9_]*$/;

/** The template names used in a string, in order of first use. */
export function templateNames(value: string): string[] {
  return [...new Set([...value.matchAll(TEMPLATE)].map((m) => m[1] ?? ''))];
}

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

/** Why a (possibly templated) URL is not acceptable, or undefined when it is. */
function urlProblem(value: string, allowTemplates: boolean): string | undefined {
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
  if (url.protocol !== 'https:') return 'must be https';
  if (!value.toLowerCase().startsWith('https://')) return 'must start with https://';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hostname === '') return 'has no host';
  return undefined;
}

const httpsUrl = (allowTemplates: boolean) =>
  z.string().superRefine((value, ctx) => {
    const problem = urlProblem(value, allowTemplates);
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem}: ${value}` });
  });

/** A templated URL (endpoints, issuer, API base). */
const templatedHttpsUrl = httpsUrl(true);

const nonEmpty = z.string().min(1);
const fieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be a plain field name');
const stringParams = z.record(nonEmpty, z.string());
/** RFC 7230 token: a header name. */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');

export const ConnectionConfigFieldSchema = z.strictObject({
  pattern: z.string().superRefine((source, ctx) => {
    const problem = patternProblem(source);
    if (problem) ctx.addIssue({ code: 'custom', message: `pattern ${JSON.stringify(source)} ${problem}` });
  }),
  description: nonEmpty,
});

export const RefreshSchema = z.strictObject({
  rotation: z.boolean().optional(),
  refresh_token_lifetime_seconds: z.number().int().positive().optional(),
  access_token_never_expires: z.boolean().optional(),
  no_refresh_token: z.boolean().optional(),
  refresh_not_before_seconds: z.number().int().positive().optional(),
});

export const ProxySchema = z.strictObject({
  auth_header: headerName.optional(),
  /** May be "" (the raw token, e.g. Shopify's X-Shopify-Access-Token). */
  auth_scheme: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'must be a single word or empty')
    .optional(),
  headers: z.record(headerName, z.string()).optional(),
});

/** The URL-valued keys (templates allowed); every `{template}` must be declared under connection_config. */
export const URL_KEYS = [
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'issuer',
  'api_base_uri',
] as const;

export const CatalogFileSchema = z
  .strictObject({
    id: z.string().regex(CATALOG_ID_PATTERN, 'must match ^[a-z0-9_]+$'),
    name: nonEmpty,
    categories: z
      .array(z.enum(CATALOG_CATEGORIES))
      .min(1)
      .max(3)
      .refine((c) => new Set(c).size === c.length, 'categories must not repeat'),
    /** The provider's own page the endpoints were confirmed on: a fixed URL, no templates. */
    docs_url: httpsUrl(false),
    authorization_endpoint: templatedHttpsUrl.optional(),
    token_endpoint: templatedHttpsUrl.optional(),
    revocation_endpoint: templatedHttpsUrl.optional(),
    issuer: templatedHttpsUrl.optional(),
    default_scopes: z.array(nonEmpty).refine((s) => new Set(s).size === s.length, 'default_scopes must not repeat'),
    scope_separator: z.string().min(1).optional(),
    connection_config: z
      .record(z.string().regex(TEMPLATE_NAME, 'must be a snake_case name'), ConnectionConfigFieldSchema)
      .optional(),
    authorization_params: stringParams.optional(),
    token_params: stringParams.optional(),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
    token_request_format: z.enum(['form', 'json']).optional(),
    pkce: z.enum(['required', 'supported', 'refused']).optional(),
    api_base_uri: templatedHttpsUrl.optional(),
    api_base_uri_from: fieldName.optional(),
    provider_data_fields: z.array(fieldName).optional(),
    callback_params: z.array(fieldName).optional(),
    token_response_path: fieldName.optional(),
    refresh: RefreshSchema.optional(),
    proxy: ProxySchema.optional(),
    notes: nonEmpty.optional(),
  })
  .superRefine((entry, ctx) => {
    if (!entry.issuer && !(entry.authorization_endpoint && entry.token_endpoint)) {
      ctx.addIssue({ code: 'custom', message: 'needs an issuer or both authorization_endpoint and token_endpoint' });
    }
    const declared = new Set(Object.keys(entry.connection_config ?? {}));
    const used = new Set<string>();
    for (const key of URL_KEYS) {
      for (const name of templateNames(entry[key] ?? '')) {
        used.add(name);
        if (!declared.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `template {${name}} is not declared under connection_config`,
          });
        }
      }
    }
    // Every {name} used anywhere (URLs, extra params, fixed proxy headers) must be declared too.
    const elsewhere: [string, Record<string, string> | undefined][] = [
      ['authorization_params', entry.authorization_params],
      ['token_params', entry.token_params],
      ['proxy.headers', entry.proxy?.headers],
    ];
    for (const [key, values] of elsewhere) {
      for (const value of Object.values(values ?? {})) {
        for (const name of templateNames(value)) {
          used.add(name);
          if (!TEMPLATE_NAME.test(name)) {
            ctx.addIssue({ code: 'custom', message: `${key}: template {${name}} is not a snake_case name` });
          } else if (!declared.has(name)) {
            ctx.addIssue({
              code: 'custom',
              message: `${key}: template {${name}} is not declared under connection_config`,
            });
          }
        }
      }
    }
    for (const name of declared) {
      if (!used.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['connection_config', name],
          message: `connection_config.${name} is not used by any template`,
        });
      }
    }
  });

export type CatalogFile = z.infer<typeof CatalogFileSchema>;

/** The schema for the file `<expectedId>.yaml`: its `id` must be the file name. */
export function catalogFileSchemaFor(expectedId: string) {
  return CatalogFileSchema.superRefine((entry, ctx) => {
    if (entry.id !== expectedId) {
      ctx.addIssue({
        code: 'custom',
        path: ['id'],
        message: `id ${JSON.stringify(entry.id)} differs from the file name ${expectedId}.yaml`,
      });
    }
  });
}
