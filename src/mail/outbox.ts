import { type Background, SerialRuns } from "../background.ts";
import type { Clock } from "../clock.ts";
import type { Db } from "../data/database.ts";
import {
  claimOutboxMessage,
  dueOutboxMessages,
  forgetOutboxMessage,
  insertOutboxMessages,
  markOutboxAttemptFailed,
  markOutboxSent,
  type OutboxRow,
} from "../data/outbox.ts";
import type { Logger } from "../log.ts";
import { openWithToken, sealWithToken } from "../services/tokens.ts";
import { SECRET } from "./templates.ts";
import type { RenderedMail } from "./templates.ts";
import type { MailTransport } from "./transport.ts";

/** A message to enqueue: who it is for and what it says; `secret` fills its link. */
export interface NewMail extends RenderedMail {
  userId: string | null;
  kind: string;
  to: string;
  secret?: string;
  /** Delete the row once sent, so no trace of the recipient stays (the purge's final notice). */
  forgetAfterSend?: boolean;
}

/** What one delivery run did. */
export interface DeliveryReport {
  sent: number;
  failed: number;
}

/**
 * A `Message-ID` unique everywhere: 128 random bits at the host of `PUBLIC_URL`, so two
 * deployments, or a database restored from a backup, never reuse one (receivers drop duplicates).
 */
export function newMessageId(domain: string): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(16)))
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `<${random}@${domain}>`;
}

/** Attempts before a message is set aside as `failed` (kept, with its last error). */
export const MAX_ATTEMPTS = 8;
/** While one process sends a message, others leave it alone this long. */
const CLAIM_LEASE_MS = 5 * 60_000;
const BATCH = 50;

/** Seconds to wait after the n-th failed attempt: 30 s, 1 min, 2 min, … capped at 1 h. */
export function backoffSeconds(attempts: number): number {
  return Math.min(30 * 2 ** (attempts - 1), 3600);
}

/**
 * The durable outbox. A message is written in the transaction of the change that causes it, so a
 * rolled-back change sends nothing and a committed one is never lost; the scheduler (and a nudge
 * after each commit) delivers it.
 *
 * Delivery is at least once: a message is claimed (leased) before it is sent and marked sent after
 * the server accepts it. Only a crash between acceptance and the mark can send it twice, and the
 * copy carries the same `Message-ID`. Link tokens are stored sealed under a server key, never in
 * plaintext, and dropped once the message is sent.
 */
export class Outbox {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #transport: MailTransport;
  readonly #key: string;
  readonly #from: string;
  readonly #messageIdDomain: string;
  readonly #log: Logger;
  readonly #runs: SerialRuns<DeliveryReport>;

  constructor(options: {
    db: Db;
    clock: Clock;
    transport: MailTransport;
    key: string;
    from: string;
    /** The domain part of every `Message-ID`: the host of `PUBLIC_URL`. */
    messageIdDomain: string;
    log: Logger;
    background: Background;
  }) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#transport = options.transport;
    this.#key = options.key;
    this.#from = options.from;
    this.#messageIdDomain = options.messageIdDomain;
    this.#log = options.log;
    this.#runs = new SerialRuns("mail delivery", options.background, () => this.#deliverAll());
  }

  /** Writes messages (one statement) in the caller's transaction; nothing is sent until that commits. */
  async enqueue(trx: Db, ...mails: NewMail[]): Promise<void> {
    const now = this.#clock.now().toISOString();
    const rows = [];
    for (const mail of mails) {
      rows.push({
        user_id: mail.userId,
        kind: mail.kind,
        recipient: mail.to,
        subject: mail.subject,
        text_body: mail.text,
        html_body: mail.html,
        secret_sealed: mail.secret === undefined
          ? null
          : await sealWithToken(this.#key, mail.secret),
        forget_after_send: mail.forgetAfterSend ? 1 : 0,
        next_attempt_at: now,
        created_at: now,
        message_id: newMessageId(this.#messageIdDomain),
      });
    }
    await insertOutboxMessages(trx, rows);
  }

  /** Asks for a delivery run soon, after the current one; call it after a commit that enqueued. */
  nudge(): void {
    this.#runs.nudge();
  }

  /** Resolves when no delivery run is in progress. */
  async idle(): Promise<void> {
    await this.#runs.idle();
  }

  /** Delivers every message that is due now; runs never overlap within this process. */
  deliverDue(): Promise<DeliveryReport> {
    return this.#runs.run();
  }

  async #deliverAll(): Promise<DeliveryReport> {
    const report = { sent: 0, failed: 0 };
    const seen = new Set<number>();
    for (;;) {
      const now = this.#clock.now();
      const due = await dueOutboxMessages(this.#db, now.toISOString(), BATCH);
      const fresh = due.filter((row) => !seen.has(row.id));
      if (fresh.length === 0) return report;
      for (const row of fresh) {
        seen.add(row.id);
        if (await this.#deliverOne(row, now)) report.sent++;
        else report.failed++;
      }
    }
  }

  async #deliverOne(
    row: OutboxRow,
    now: Date,
  ): Promise<boolean> {
    // A row written before message ids were stored gets its id with the claim, once.
    const messageId = row.message_id ?? newMessageId(this.#messageIdDomain);
    const lease = new Date(now.getTime() + CLAIM_LEASE_MS).toISOString();
    if (!await claimOutboxMessage(this.#db, row, lease, messageId)) {
      return false; // another process has it
    }
    const attempts = row.attempts + 1;
    try {
      const secret = row.secret_sealed === null
        ? ""
        : await openWithToken(this.#key, row.secret_sealed);
      if (secret === null) {
        throw new Error("the link token cannot be unsealed with this server key");
      }
      await this.#transport.send({
        messageId,
        from: this.#from,
        to: row.recipient,
        subject: row.subject,
        text: row.text_body.replaceAll(SECRET, secret),
        html: row.html_body.replaceAll(SECRET, secret),
      });
      if (row.forget_after_send) await forgetOutboxMessage(this.#db, row.id);
      else await markOutboxSent(this.#db, row.id, this.#clock.now().toISOString(), attempts);
      return true;
    } catch (error) {
      const retryAt = new Date(now.getTime() + backoffSeconds(attempts) * 1000).toISOString();
      await markOutboxAttemptFailed(this.#db, row.id, {
        attempts,
        lastError: String(error instanceof Error ? error.message : error).slice(0, 1000),
        retryAt,
        givenUp: attempts >= MAX_ATTEMPTS,
      });
      this.#log.error({
        msg: "mail not delivered",
        outbox_id: row.id,
        attempts,
        error: String(error),
      });
      return false;
    }
  }
}
