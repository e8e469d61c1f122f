import { describe, expect, it } from 'vitest';
import { connectionWorkflowId } from '../lib/temporal/names.js';
import { connectInBrowser } from './support/connectInBrowser.js';
import { useInProcessService } from './support/inProcessService.js';
import { providerControl } from './support/providerControl.js';
import { useStackClients } from './support/useStackClients.js';
import { waitUntil } from './support/waitUntil.js';

const clients = useStackClients();

/** A minimum interval of 1 s lets already-expired tokens refresh every second, until the throttle. */
const THROTTLE = {
  CONNECTFLOW_REFRESH_MIN_INTERVAL_SECONDS: '1',
  CONNECTFLOW_REFRESH_THROTTLE_LIMIT: '5',
  CONNECTFLOW_REFRESH_THROTTLE_WINDOW_SECONDS: '60',
  CONNECTFLOW_REFRESH_THROTTLE_COOLDOWN_SECONDS: '15',
};

const inProcess = useInProcessService(() => clients.store, THROTTLE);

describe('the refresh throttle, a last line of defence behind the plan', () => {
  it(
    'pauses a provider handing out already-expired tokens after 5 refreshes, says so, and resumes after the cool-down',
    { timeout: 120_000 },
    async () => {
      const provider = providerControl('expired_tokens');
      const before = await provider.refreshCalls(); // read first: the first refresh comes 1 s after the exchange
      const id = await connectInBrowser(inProcess.rivery, clients.browser, 'expired_tokens');
      const event = await waitUntil('the throttle event', () =>
        clients.store.events
          .findOne({ connectionId: id, type: 'connection.refresh_throttled' })
          .then((e) => e ?? undefined),
      );
      const resumesAt = Date.parse(event.details.resumes_at as string);
      expect(event.details).toMatchObject({ limit: 5, window_seconds: 60 });
      expect((await provider.refreshCalls()) - before).toBe(5);

      // Visible in the Temporal UI as the workflow's current details.
      const handle = clients.temporal.workflow.getHandle(connectionWorkflowId(id));
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toContain('paused until');

      // Paused: no planned refresh until the cool-down ends, but an on-demand refresh still works.
      let plannedDuringPause = 0;
      await waitUntil(
        'the cool-down to be nearly over',
        async () => {
          plannedDuringPause = (await provider.refreshCalls()) - before - 5;
          return Date.now() >= resumesAt - 1_000;
        },
        30_000,
      );
      expect(plannedDuringPause).toBe(0);
      const onDemand = await inProcess.rivery.request('POST', `/api/connections/${id}/refresh`);
      expect(onDemand.status).toBe(200);
      const afterOnDemand = await provider.refreshCalls();
      expect(afterOnDemand - before).toBe(6);

      await waitUntil(
        'planned refreshes to resume',
        async () => (await provider.refreshCalls()) > afterOnDemand,
        30_000,
      );
      expect(Date.now()).toBeGreaterThanOrEqual(resumesAt);
      expect(
        (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '',
      ).not.toContain('paused');
    },
  );
});
