import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigSchema, loadConfig } from '../../lib/config.js';
import { generateKeySpec, loadKeyRing } from '../../lib/crypto/keyRing.js';
import { loadCatalog } from '../../lib/providers/catalog.js';
import { SEARCH_ATTRIBUTE_NAMES } from '../../lib/temporal/names.js';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from '../../scripts/dev/servers/toolPaths.js';
import { SERVICE_NODE_FLAGS } from '../../scripts/dev/stack/serviceNodeFlags.js';

interface ComposeService {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
}
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');

/**
 * A service's environment as `docker compose up` hands it over with nothing set in the shell or `.env`:
 * `${NAME:-default}` is the default; `${NAME:?message}` (compose refuses to start without it) is `required`'s value.
 */
function resolvedEnvironment(service: ComposeService, required: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => [
      key,
      String(value).replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_, name: string, fallback?: string) => {
        if (fallback !== undefined) return fallback;
        const given = required[name];
        if (given === undefined) throw new Error(`${key} needs ${name} set, and the test gives it no value`);
        return given;
      }),
    ]),
  );
}

const keys = generateKeySpec('k1');
const connectflowEnv = (name: 'api' | 'worker') =>
  resolvedEnvironment(services[name]!, { CONNECTFLOW_ENCRYPTION_KEYS: keys });

/** What `node` runs for a service: its flags and `.build/<name>.js`, as the local stack runs it. */
const nodeCommand = (name: keyof typeof SERVICE_NODE_FLAGS) => [
  'node',
  ...SERVICE_NODE_FLAGS[name],
  `.build/${name}.js`,
];

describe('docker-compose.yml runs what the code runs', () => {
  it('the API and the worker run the built entry points with the node flags of the local stack (and the image defaults to the API)', () => {
    expect(services.api?.command).toEqual(nodeCommand('api'));
    expect(services.worker?.command).toEqual(nodeCommand('worker'));
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd && JSON.parse(cmd)).toEqual(nodeCommand('api'));
  });

  it('both get every setting production needs and only settings connectflow reads, all valid', async () => {
    const known = new Set(Object.keys(ConfigSchema.shape));
    // Settings with neither a default nor optional: loadConfig fails without them.
    const required = Object.entries(ConfigSchema.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([key]) => key);
    for (const name of ['api', 'worker'] as const) {
      const env = connectflowEnv(name);
      expect(
        required.filter((key) => !(key in env)),
        `${name}: settings loadConfig requires`,
      ).toEqual([]);
      const config = loadConfig(env); // throws on a missing or invalid setting
      expect(config.NODE_ENV).toBe('production');
      expect(() => loadKeyRing(config)).not.toThrow(); // production refuses to start without keys
      const { catalog } = await loadCatalog(config, 'catalog');
      for (const key of Object.keys(env)) {
        const provider = /^CONNECTFLOW_PROVIDER_([A-Z0-9_]+)_CLIENT_(?:ID|SECRET)$/.exec(key)?.[1];
        if (provider) expect(catalog.get(provider.toLowerCase()), `${key}: a provider in the catalog`).toBeDefined();
        else expect(known.has(key), `${key}: a setting lib/config.ts reads`).toBe(true);
      }
      expect(`${config.HOST}:${config.PORT}`).toBe('0.0.0.0:3000');
    }
    expect(connectflowEnv('api')).toEqual(connectflowEnv('worker'));
  });

  it('the API and worker reach the compose Temporal and MongoDB; the UI decodes through the API', () => {
    const env = connectflowEnv('api');
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(new URL(env.MONGODB_URI!).host).toBe('mongodb:27017');
    expect(services.api?.ports).toContain(`${env.PORT}:${env.PORT}`);
    const ui = resolvedEnvironment(services['temporal-ui']!, {});
    expect(ui.TEMPORAL_ADDRESS).toBe(env.TEMPORAL_ADDRESS);
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe(`${env.PUBLIC_BASE_URL}/codec`);
    const uiPort = services['temporal-ui']?.ports?.[0]?.split(':')[0];
    expect(env.CONNECTFLOW_TEMPORAL_UI_ORIGIN).toBe(`http://localhost:${uiPort}`);
  });

  it('Temporal is the server version the postgres engine builds, with the UI of that release and our search attributes', () => {
    expect(services.temporal?.image).toBe(`temporalio/auto-setup:${TEMPORAL_SERVER_VERSION}`);
    expect(services['temporal-setup']?.image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
    expect(services['temporal-ui']?.image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
    const script = [services['temporal-setup']?.command ?? []].flat().join('\n');
    const names = /for name in ([^;]+);/.exec(script)?.[1]?.trim().split(/\s+/);
    expect(names).toEqual(SEARCH_ATTRIBUTE_NAMES);
  });
});
