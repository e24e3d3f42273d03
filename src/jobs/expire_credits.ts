import { expireCredits } from "../services/credits.ts";
import type { Job } from "./scheduler.ts";

/**
 * Runs `expireCredits` hourly, at five past: each lot past its date gets an `expire` entry for
 * what it still held. Members never see expired credits in their balance in between (it counts
 * only lots before their date), so the hour only decides when the ledger catches up.
 */
export const expireCreditsJob: Job = {
  name: "expire-credits",
  schedule: "0 5 * * * *",
  run: (deps) => expireCredits(deps),
};
