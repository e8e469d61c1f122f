import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { temporalBinaryPath } from '../scripts/dev/servers/toolPaths.js';
import { EncryptionCodec } from '../lib/temporal/encryptionCodec.js';
import { connectionWorkflowId } from '../lib/temporal/names.js';
import { authorizeInBrowser } from './support/browser.js';
import { RiveryClient } from './support/RiveryClient.js';
import { waitUntil } from './support/waitUntil.js';
import { keyRing, newAccount, stack } from './support/testStack.js';
import { useStackClients } from './support/useStackClients.js';

const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const fixtures = new URL('./fixtures/histories/', import.meta.url);
const replayOptions = { workflowsPath, dataConverter: { payloadCodecs: [new EncryptionCodec(keyRing)] } };

const clients = useStackClients();

/**
 * Determinism: the current workflow code must replay histories recorded from earlier code (committed
 * fixtures) and from this run. Set CONNECTFLOW_RECORD_HISTORIES=1 to refresh the fixtures.
 */
describe('connectionWorkflow replays recorded histories', () => {
  const recorded = readdirSync(fixtures).filter((f) => f.endsWith('.json'));

  it('has recorded histories to replay', () => {
    expect(recorded.length).toBeGreaterThan(0);
  });

  it.each(recorded)('replays %s', async (file) => {
    const history: unknown = JSON.parse(readFileSync(new URL(file, fixtures), 'utf8'));
    await expect(Worker.runReplayHistory(replayOptions, history, file)).resolves.toBeUndefined();
  });

  it('replays the histories of a connected (still running), a denied and a refreshed flow of this run', async () => {
    const account = await newAccount(clients.store);
    const rivery = new RiveryClient(stack.apiUrl, account.token);
    const flows = [
      ['connected', 'demo', false],
      ['denied', 'demo', true],
      ['refreshed', 'short_fixed', false],
    ] as const;
    for (const [name, datasource, deny] of flows) {
      const { body } = await rivery.newOAuth2Request({ datasource_id: datasource, validity_duration: 600 });
      await authorizeInBrowser(clients.browser, body.auth_uri, { deny });
      const { connectionId } = (await clients.store.oauthRequests.findOne(
        { accountId: account.accountId },
        { sort: { createdAt: -1 } },
      ))!;
      const handle = clients.temporal.workflow.getHandle(connectionWorkflowId(connectionId));
      if (name === 'denied') await handle.result();
      // A refreshed connection continues as new after CONNECTFLOW_REFRESHES_PER_RUN refreshes: replay that whole first run.
      const runId = name === 'refreshed' ? (await handle.describe()).runId : undefined;
      if (name === 'refreshed') {
        await waitUntil('the first run to end', async () => (await handle.describe()).runId !== runId);
      }
      const history = await clients.temporal.workflow.getHandle(handle.workflowId, runId).fetchHistory();
      await Worker.runReplayHistory(replayOptions, history, handle.workflowId);
      if (process.env.CONNECTFLOW_RECORD_HISTORIES) {
        const args = [
          'workflow',
          'show',
          '--address',
          stack.temporalAddress,
          '-w',
          handle.workflowId,
          ...(runId ? ['-r', runId] : []),
          '-o',
          'json',
        ];
        const json = execFileSync(temporalBinaryPath(), args);
        writeFileSync(new URL(`${name}.json`, fixtures), json);
      }
    }
  });
});
