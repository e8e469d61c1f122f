import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertPublicHost, HostNotAllowedError } from '../../lib/providers/assertPublicHost.js';
import { loadCatalog } from '../../lib/providers/catalog.js';
import { checkConnectionConfig } from '../../lib/providers/connectionConfig.js';
import { resolveAuthorizationServer } from '../../lib/providers/resolveAuthorizationServer.js';

const entry = (id: string, extra = '') =>
  [
    `id: ${id}`,
    `name: Local ${id}`,
    'categories: [crm]',
    'docs_url: https://developer.example.com/oauth',
    'authorization_endpoint: http://127.0.0.1:1/auth',
    'token_endpoint: http://127.0.0.1:1/token',
    'default_scopes: [read]',
    extra,
  ].join('\n');

describe('loadCatalog', () => {
  it('serves the bundled files, the demo and a directory of extra files; a malformed one is reported by id and left out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'extra-providers-'));
    try {
      await writeFile(join(dir, 'local_one.yaml'), entry('local_one'));
      await writeFile(join(dir, 'local_broken.yaml'), entry('local_broken', 'token_endpiont: http://127.0.0.1:1/t'));
      const { catalog, problems } = await loadCatalog(
        { NODE_ENV: 'test', CONNECTFLOW_PROVIDER_DEMO_ISSUER: 'http://127.0.0.1:9/', CONNECTFLOW_EXTRA_PROVIDERS: dir },
        'catalog',
      );
      expect(problems).toEqual([{ id: 'local_broken', problem: expect.stringContaining('token_endpiont') }]);
      expect(catalog.get('local_one')).toMatchObject({
        name: 'Local local_one',
        pkce: 'supported',
        scopeSeparator: ' ',
      });
      expect(catalog.get('demo')?.issuer).toBe('http://127.0.0.1:9/');
      expect(catalog.get('zendesk')?.connectionConfig.subdomain).toBeDefined();
      expect(catalog.get('gspreadsheet')?.id).toBe('google_sheets');
      expect(catalog.entries.length).toBeGreaterThan(150);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes a JSON array too, and admits plain http on loopback only outside production', async () => {
    const json = JSON.stringify([
      {
        id: 'local_json',
        name: 'Local JSON',
        categories: ['crm'],
        docs_url: 'https://developer.example.com/oauth',
        issuer: 'http://127.0.0.1:1',
        default_scopes: [],
      },
    ]);
    const dev = await loadCatalog({ NODE_ENV: 'development', CONNECTFLOW_EXTRA_PROVIDERS: json }, 'catalog');
    expect(dev.catalog.get('local_json')?.issuer).toBe('http://127.0.0.1:1');
    const production = await loadCatalog({ NODE_ENV: 'production', CONNECTFLOW_EXTRA_PROVIDERS: json }, 'catalog');
    expect(production.catalog.get('local_json')).toBeUndefined();
    expect(production.problems).toEqual([{ id: 'local_json', problem: expect.stringContaining('https') }]);
  });
});

describe('connection_config and templated hosts', () => {
  const gitlab = async () =>
    (await loadCatalog({ NODE_ENV: 'production' }, 'catalog')).catalog.get('gitlab_self_managed')!;

  it('values are checked against the declared patterns, never leaving their label', async () => {
    const entry = await gitlab();
    expect(checkConnectionConfig(entry, { host: 'gitlab.acme.com' })).toEqual({ host: 'gitlab.acme.com' });
    for (const bad of ['gitlab.acme.com/x', 'me@evil.com', 'evil.com:8443', 'a..b', 'x?y', 'x#y', ''])
      expect(() => checkConnectionConfig(entry, { host: bad }), bad).toThrow(/host/);
    expect(() => checkConnectionConfig(entry, {})).toThrow(/host is required/);
  });

  it('in production a templated host may not resolve to loopback, private or metadata addresses', async () => {
    const entry = await gitlab();
    for (const host of ['127.0.0.1', '10.1.2.3', '169.254.169.254', '192.168.0.1', 'localhost']) {
      await expect(
        resolveAuthorizationServer(entry, { host }, { allowLoopbackHttp: false }),
        host,
      ).rejects.toBeInstanceOf(HostNotAllowedError);
    }
    await expect(assertPublicHost('[::ffff:10.0.0.1]', { allowLoopback: true })).rejects.toBeInstanceOf(
      HostNotAllowedError,
    );
    await expect(assertPublicHost('[fd00:ec2::254]', { allowLoopback: true })).rejects.toBeInstanceOf(
      HostNotAllowedError,
    );
    await expect(assertPublicHost('127.0.0.1', { allowLoopback: true })).resolves.toBeUndefined();
    await expect(assertPublicHost('93.184.215.14', { allowLoopback: false })).resolves.toBeUndefined();
  });
});
