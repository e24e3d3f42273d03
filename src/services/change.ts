import { writeTransaction } from "../data/transactions.ts";
import type { Db } from "../data/database.ts";
import type { Deps } from "../deps.ts";
import type { NewMail } from "../mail/outbox.ts";
import type { WebhookEventDataOf, WebhookEventType } from "../schemas/webhooks.ts";
import { emitWebhook } from "./webhooks.ts";

/** What a change hands out besides its writes: mail and webhook events, in its transaction. */
export interface ChangeEvents {
  /** Enqueues a message; it is sent only if the change commits. */
  mail(mail: NewMail): Promise<void>;
  /** Queues a webhook event for every subscribed endpoint; it exists only if the change commits. */
  webhook<T extends WebhookEventType>(type: T, data: WebhookEventDataOf<T>): Promise<void>;
}

/**
 * Runs one use case's writes in one transaction (on the serving connection) and, once it has
 * committed, nudges the mail outbox and the webhook deliverer, so nothing a change enqueued
 * waits for the scheduler and no call site can forget the nudge. A change that throws rolls
 * back with everything it enqueued, and nudges nothing.
 */
export async function commitChange<T>(
  deps: Deps,
  work: (trx: Db, events: ChangeEvents) => Promise<T>,
): Promise<T> {
  const result = await writeTransaction(deps.db, (trx) =>
    work(trx, {
      mail: (mail) => deps.outbox.enqueue(trx, mail),
      webhook: (type, data) => emitWebhook(deps, trx, type, data),
    }));
  deps.outbox.nudge();
  deps.webhooks.nudge();
  return result;
}

/**
 * The events every password change sends, whether the member changed it or reset it: the new
 * password, then the sessions it ended (`count` of them).
 */
export async function announcePasswordChange(
  events: ChangeEvents,
  userId: string,
  via: "change" | "reset",
  count: number,
): Promise<void> {
  await events.webhook("user.password_changed", { user_id: userId, via });
  await events.webhook("user.sessions_revoked", {
    user_id: userId,
    reason: via === "change" ? "password_changed" : "password_reset",
    count,
  });
}
