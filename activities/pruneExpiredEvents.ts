import type { ActivityContext } from './activityContext.js';

/**
 * Deletes events, and finished webhook deliveries, older than the retention (run by the refresh-audit).
 * A sweep rather than a TTL index: FerretDB refuses `expireAfterSeconds`, and one rule serves both stores.
 */
export async function pruneExpiredEvents(ctx: ActivityContext): Promise<{ events: number; deliveries: number }> {
  const before = new Date(Date.now() - ctx.config.CONNECTFLOW_EVENT_RETENTION_DAYS * 86_400_000);
  const events = await ctx.store.events.deleteMany({ at: { $lt: before } });
  const deliveries = await ctx.store.webhookDeliveries.deleteMany({
    createdAt: { $lt: before },
    status: { $ne: 'pending' },
  });
  return { events: events.deletedCount, deliveries: deliveries.deletedCount };
}
