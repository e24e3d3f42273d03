import type { Job } from "./scheduler.ts";

/**
 * Delivers due webhook events every 5 seconds (and whenever a commit nudges it), then deletes
 * settled deliveries older than the retention period.
 */
export const deliverWebhooksJob: Job = {
  name: "deliver-webhooks",
  schedule: "*/5 * * * * *",
  run: async (deps) => ({
    ...await deps.webhooks.deliverDue(),
    pruned: await deps.webhooks.prune(),
  }),
};
