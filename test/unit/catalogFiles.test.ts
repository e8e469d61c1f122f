import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CATALOG_CATEGORIES, CatalogFileSchema, URL_KEYS } from '../../lib/providers/catalogFileSchema.js';
import { forbiddenProbes, isAnchored, patternProblem } from '../../lib/providers/connectionConfigPattern.js';
import { templateNames } from '../../lib/providers/urlTemplates.js';
import { loadCatalogFiles, parseCatalogFile } from '../../lib/providers/loadCatalogFiles.js';
import { PROVIDERS_DOC, renderProvidersDoc } from '../../scripts/dev/writeProvidersDoc.js';

const catalogDir = fileURLToPath(new URL('../../catalog/', import.meta.url));
const fileNames = (await readdir(catalogDir)).sort();
const yamlFiles = fileNames.filter((n) => n.endsWith('.yaml'));
const loaded = await loadCatalogFiles(catalogDir);

/** Strings that must never fill a template: each would leave its URL component. */
const MUST_REJECT = [
  '/',
  '@',
  ':',
  '?',
  '#',
  '..',
  'a/b',
  'a@b',
  'a:b',
  'a?b',
  'a#b',
  'a..b',
  'evil.com/',
  'x@evil.com',
  'a.b..c',
  '',
];

describe('catalog/', () => {
  it('holds only <id>.yaml files, and a fair number of them', () => {
    expect(fileNames.filter((n) => !n.endsWith('.yaml'))).toEqual([]);
    expect(yamlFiles.length).toBeGreaterThan(100);
  });

  it('every file parses and validates', () => {
    expect(loaded.problems).toEqual([]);
    expect(loaded.entries.map((e) => `${e.id}.yaml`)).toEqual(yamlFiles);
  });

  it('docs/providers.md is current (npm run docs:providers)', async () => {
    expect(await readFile(PROVIDERS_DOC, 'utf8')).toBe(renderProvidersDoc(loaded.entries));
  });

  it('ids and aliases are unique and ids equal to the file names', () => {
    const names = loaded.entries.flatMap((e) => [e.id, ...(e.aliases ?? [])]);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(yamlFiles)('%s: URLs https, docs_url present, templates declared with strict patterns', async (file) => {
    const raw = parse(await readFile(join(catalogDir, file), 'utf8')) as Record<string, unknown>;
    const entry = CatalogFileSchema.parse(raw);
    expect(entry.id).toBe(file.replace(/\.yaml$/, ''));

    expect(entry.docs_url).toMatch(/^https:\/\/[^/{}]+\//);
    expect(new URL(entry.docs_url).protocol).toBe('https:');
    expect(entry.categories.every((c) => (CATALOG_CATEGORIES as readonly string[]).includes(c))).toBe(true);

    const used = new Set<string>();
    for (const key of URL_KEYS) {
      const value = entry[key];
      if (value === undefined) continue;
      expect(value, key).toMatch(/^https:\/\//);
      for (const name of templateNames(value)) used.add(name);
      expect(new URL(value.replace(/\{[a-z0-9_]+\}/g, 'x')).protocol, key).toBe('https:');
    }
    for (const value of Object.values(entry.proxy?.headers ?? {}))
      for (const name of templateNames(value)) used.add(name);
    expect(entry.issuer || (entry.authorization_endpoint && entry.token_endpoint)).toBeTruthy();

    const config = entry.connection_config ?? {};
    expect(Object.keys(config).sort()).toEqual([...used].sort());
    for (const [name, field] of Object.entries(config)) {
      expect(field.description.length, name).toBeGreaterThan(0);
      expect(isAnchored(field.pattern), `${name}: ${field.pattern}`).toBe(true);
      const re = new RegExp(field.pattern);
      for (const probe of MUST_REJECT)
        expect(re.test(probe), `${name} ${field.pattern} accepts ${JSON.stringify(probe)}`).toBe(false);
      expect(patternProblem(field.pattern), name).toBeUndefined();
    }
  });
});

describe('catalogFileSchema', () => {
  const base = {
    id: 'acme',
    name: 'Acme',
    categories: ['crm'],
    docs_url: 'https://developer.acme.example/oauth',
    authorization_endpoint: 'https://{subdomain}.acme.example/oauth/authorize',
    token_endpoint: 'https://{subdomain}.acme.example/oauth/token',
    default_scopes: ['read'],
    connection_config: { subdomain: { pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'Your Acme subdomain' } },
  };
  const problems = (entry: unknown) => {
    const r = CatalogFileSchema.safeParse(entry);
    return r.success ? [] : r.error.issues.map((i) => i.message);
  };

  it('accepts a well-formed entry', () => {
    expect(problems(base)).toEqual([]);
  });

  it('rejects unknown keys, at the top and inside blocks', () => {
    expect(problems({ ...base, token_endpiont: 'https://x.example/t' })).not.toEqual([]);
    expect(problems({ ...base, refresh: { rotates: true } })).not.toEqual([]);
    expect(
      problems({ ...base, connection_config: { subdomain: { ...base.connection_config.subdomain, example: 'a' } } }),
    ).not.toEqual([]);
    expect(problems({ ...base, tokenEndpoint: 'https://x.example/t' })).not.toEqual([]);
  });

  it('rejects http and non-URLs', () => {
    expect(problems({ ...base, docs_url: 'http://developer.acme.example/oauth' })).not.toEqual([]);
    expect(problems({ ...base, revocation_endpoint: 'http://acme.example/revoke' })).not.toEqual([]);
    expect(problems({ ...base, api_base_uri: 'acme.example/api' })).not.toEqual([]);
    expect(problems({ ...base, docs_url: 'https://{subdomain}.acme.example/docs' })).not.toEqual([]);
  });

  it('rejects categories off the list, none, or more than three', () => {
    expect(problems({ ...base, categories: ['crm-ish'] })).not.toEqual([]);
    expect(problems({ ...base, categories: [] })).not.toEqual([]);
    expect(problems({ ...base, categories: ['crm', 'support', 'email', 'marketing'] })).not.toEqual([]);
  });

  it('needs an issuer or both endpoints', () => {
    const { token_endpoint: _, ...noToken } = base;
    expect(problems(noToken)).not.toEqual([]);
    expect(problems({ ...noToken, issuer: 'https://{subdomain}.acme.example' })).toEqual([]);
  });

  it('rejects an undeclared template and a declared field no template uses', () => {
    expect(problems({ ...base, api_base_uri: 'https://{region}.api.acme.example' })).not.toEqual([]);
    expect(
      problems({
        ...base,
        connection_config: { ...base.connection_config, region: { pattern: '^(us|eu)$', description: 'Region' } },
      }),
    ).not.toEqual([]);
  });

  it('forbiddenProbes covers / @ : ? # and ..', () => {
    const probes = forbiddenProbes();
    for (const token of ['/', '@', ':', '?', '#', '..'])
      expect(probes.filter((p) => p.includes(token)).length).toBeGreaterThan(10);
  });

  it.each([
    ['^[a-z0-9-]+$', undefined],
    ['^[a-z0-9][a-z0-9-]{0,62}(\\.[a-z0-9][a-z0-9-]{0,62})*$', undefined],
    ['^(us|eu)$', undefined],
    ['[a-z0-9-]+', 'anchored'],
    ['^[a-z0-9-]+', 'anchored'],
    ['^[a-z]+\\$', 'anchored'],
    ['^us$|^eu$', 'anchored'],
    ['^us|eu$', 'anchored'],
    ['^.+$', 'accepts'],
    ['^[^.]+$', 'accepts'],
    ['^[a-z.]+$', 'accepts'],
    ['^[a-z@]+$', 'accepts'],
    ['^[a-z:0-9]+$', 'accepts'],
    ['^[\\w?]+$', 'accepts'],
    ['^[\\w#-]+$', 'accepts'],
    ['^[\\w\\\\-]+$', 'accepts'],
    ['^[a-z%0-9]+$', 'accepts'],
    ['^[a-z]*$', 'accepts'],
    ['^[a-z', 'not a valid'],
  ])('pattern %s', (pattern, problem) => {
    const found = patternProblem(pattern);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('loadCatalogFiles', () => {
  it('reports a malformed entry by its id while the others load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'catalog-'));
    try {
      const good = (id: string) =>
        [
          `id: ${id}`,
          `name: Good ${id}`,
          'categories: [crm]',
          'docs_url: https://developer.example.com/oauth',
          'authorization_endpoint: https://example.com/oauth/authorize',
          'token_endpoint: https://example.com/oauth/token',
          'default_scopes: [read]',
          '',
        ].join('\n');
      await writeFile(join(dir, 'good_one.yaml'), good('good_one'));
      await writeFile(join(dir, 'good_two.yaml'), good('good_two'));
      // Does not parse: an unquoted ": " inside a plain scalar.
      await writeFile(join(dir, 'broken_yaml.yaml'), good('broken_yaml') + 'notes: Scopes: read and write\n');
      // Parses but fails the schema: http URL, unknown key.
      await writeFile(
        join(dir, 'bad_schema.yaml'),
        good('bad_schema').replace('https://example.com/oauth/token', 'http://example.com/oauth/token') +
          'colour: blue\n',
      );
      // id differs from the file name.
      await writeFile(join(dir, 'wrong_id.yaml'), good('other_id'));
      // Undeclared template.
      await writeFile(
        join(dir, 'undeclared.yaml'),
        good('undeclared').replace('https://example.com/oauth/token', 'https://{tenant}.example.com/t'),
      );
      await writeFile(join(dir, 'README.txt'), 'not a catalog file');

      const { entries, problems } = await loadCatalogFiles(dir);
      expect(entries.map((e) => e.id)).toEqual(['good_one', 'good_two']);
      expect(problems.map((p) => p.id).sort()).toEqual(['bad_schema', 'broken_yaml', 'undeclared', 'wrong_id']);
      const byId = Object.fromEntries(problems.map((p) => [p.id, p.problem]));
      expect(byId.broken_yaml).toMatch(/YAML/);
      expect(byId.bad_schema).toMatch(/https/);
      expect(byId.bad_schema).toMatch(/colour/);
      expect(byId.wrong_id).toMatch(/file name/);
      expect(byId.undeclared).toMatch(/tenant/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('parseCatalogFile refuses a file name that is not an id', () => {
    expect(parseCatalogFile('Bad-Name', 'id: Bad-Name')).toHaveProperty('problem');
  });
});
