import type { RefreshTiming } from '../lib/config.js';
import type { ActivityContext } from './activityContext.js';
import { recordConnectionEvent } from './recordConnectionEvent.js';

/** Records that the throttle paused a connection's planned refreshes, and until when. */
export async function recordRefreshThrottled(
  ctx: ActivityContext,
  input: { connectionId: string; resumesAt: string; timing: Pick<RefreshTiming, 'throttle'> },
): Promise<void> {
  const doc = await ctx.store.connections.findOne(
    { _id: input.connectionId },
    { projection: { accountId: 1, provider: 1 } },
  );
  if (!doc) return;
  await recordConnectionEvent(ctx, doc, 'connection.refresh_throttled', [input.resumesAt], {
    resumes_at: input.resumesAt,
    limit: input.timing.throttle.limit,
    window_seconds: input.timing.throttle.windowSeconds,
  });
}
