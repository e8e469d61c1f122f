import { z } from 'zod';
import { patternProblem } from './connectionConfigPattern.js';
import { TEMPLATE_NAME, templateNames, urlProblem } from './urlTemplates.js';

/**
 * The on-disk format of one provider catalog file, `catalog/<id>.yaml` (snake_case keys). Strict:
 * unknown keys are rejected at every level, so a typo (`token_endpiont`) fails instead of silently
 * dropping a setting. Converted once into the service's ProviderEntry (providerEntry.ts), where the
 * defaults of the optional keys are written down.
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

/** Loader options: extra providers outside production may use plain http on loopback (demo and test providers). */
export interface CatalogFileOptions {
  allowLoopbackHttp: boolean;
}

const url = (allowTemplates: boolean, options: CatalogFileOptions) =>
  z.string().superRefine((value, ctx) => {
    const problem = urlProblem(value, { allowTemplates, ...options });
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem}: ${value}` });
  });

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

/** The schema of one file, strict https unless the options admit loopback http. */
export function catalogFileSchema(options: CatalogFileOptions) {
  const templatedUrl = url(true, options);
  return z
    .strictObject({
      id: z.string().regex(CATALOG_ID_PATTERN, 'must match ^[a-z0-9_]+$'),
      name: nonEmpty,
      categories: z
        .array(z.enum(CATALOG_CATEGORIES))
        .min(1)
        .max(3)
        .refine((c) => new Set(c).size === c.length, 'categories must not repeat'),
      /** The provider's own page the endpoints were confirmed on: a fixed URL, no templates. */
      docs_url: url(false, { allowLoopbackHttp: false }),
      /** Other ids this entry answers to (e.g. Rivery's `gspreadsheet` for google_sheets). */
      aliases: z.array(z.string().regex(CATALOG_ID_PATTERN, 'must match ^[a-z0-9_]+$')).optional(),
      authorization_endpoint: templatedUrl.optional(),
      token_endpoint: templatedUrl.optional(),
      revocation_endpoint: templatedUrl.optional(),
      issuer: templatedUrl.optional(),
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
      api_base_uri: templatedUrl.optional(),
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
}

/** The bundled catalog's rule: every URL https. */
export const CatalogFileSchema = catalogFileSchema({ allowLoopbackHttp: false });

export type CatalogFile = z.infer<typeof CatalogFileSchema>;

/** The schema for the file `<expectedId>.yaml`: its `id` must be the file name. */
export function catalogFileSchemaFor(expectedId: string, options: CatalogFileOptions = { allowLoopbackHttp: false }) {
  return catalogFileSchema(options).superRefine((entry, ctx) => {
    if (entry.id !== expectedId) {
      ctx.addIssue({
        code: 'custom',
        path: ['id'],
        message: `id ${JSON.stringify(entry.id)} differs from the file name ${expectedId}.yaml`,
      });
    }
  });
}
