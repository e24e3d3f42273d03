import type { Job } from "./scheduler.ts";

/** Delivers due outbox mail every 15 seconds (and whenever a commit nudges it). */
export const deliverMailJob: Job = {
  name: "deliver-mail",
  schedule: "*/15 * * * * *",
  run: async (deps) => ({ ...await deps.outbox.deliverDue() }),
};
