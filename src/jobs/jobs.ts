import { deliverMailJob } from "./deliver_mail.ts";
import { deliverWebhooksJob } from "./deliver_webhooks.ts";
import { expireCreditsJob } from "./expire_credits.ts";
import { pruneTokensJob } from "./prune_tokens.ts";
import { purgeDeletionsJob } from "./purge_deletions.ts";
import { sweepFilesJob } from "./sweep_files.ts";
import type { Job } from "./scheduler.ts";

/** Every scheduled job, by the name `deno task cli run-job <name>` takes. */
export const jobs: readonly Job[] = [
  deliverMailJob,
  deliverWebhooksJob,
  pruneTokensJob,
  sweepFilesJob,
  expireCreditsJob,
  purgeDeletionsJob,
];
