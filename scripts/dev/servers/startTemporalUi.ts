import fs from 'node:fs';
import path from 'node:path';
import { startChild, untilReadyOrExit, type ManagedChild } from './childProcess.js';
import { waitFor } from './waitFor.js';

export interface StartTemporalUiOptions {
  binary: string;
  /** The frontend's gRPC address. */
  temporalAddress: string;
  /** Where its generated config (base.yaml) lives. */
  configDir: string;
  port: number;
  namespace: string;
  /** The codec server the Web UI asks to decode payloads (connectflow's API serves `<url>/decode`). */
  codecEndpoint?: string;
  logFile?: string;
}

/** Starts Temporal's Web UI server (the one the CLI embeds, built on its own) against a frontend. */
export async function startTemporalUi(opts: StartTemporalUiOptions): Promise<{ uiUrl: string; child: ManagedChild }> {
  fs.mkdirSync(opts.configDir, { recursive: true });
  fs.writeFileSync(
    path.join(opts.configDir, 'base.yaml'),
    [
      '# Written by scripts/dev/servers/startTemporalUi.ts at each start.',
      `temporalGrpcAddress: ${opts.temporalAddress}`,
      'host: 127.0.0.1',
      `port: ${opts.port}`,
      'enableUi: true',
      `defaultNamespace: ${opts.namespace}`,
      'notifyOnNewVersion: false',
      ...(opts.codecEndpoint ? ['codec:', `  endpoint: ${opts.codecEndpoint}`] : []),
      '',
    ].join('\n'),
  );
  const child = startChild(
    'temporal-ui',
    opts.binary,
    ['--root', opts.configDir, '--config', '.', '--env', 'connectflow', 'start'],
    { logFile: opts.logFile },
  );
  const uiUrl = `http://127.0.0.1:${opts.port}`;
  try {
    await untilReadyOrExit(child, (signal) =>
      waitFor(
        `Temporal UI at ${uiUrl}`,
        async () => {
          const res = await fetch(uiUrl, { signal: AbortSignal.timeout(2_000) });
          await res.body?.cancel();
          return res.status === 200;
        },
        { timeoutMs: 30_000, signal },
      ),
    );
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { uiUrl, child };
}
