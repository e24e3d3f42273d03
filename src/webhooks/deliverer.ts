import { writeTransaction } from "../data/transactions.ts";
import { Webhook } from "standardwebhooks";
import { type Background, SerialRuns } from "../background.ts";
import type { Clock } from "../clock.ts";
import type { Db } from "../data/database.ts";
import { listAdminEmails } from "../data/users.ts";
import {
  claimDeliveries,
  deferFollowers,
  dueDeliveries,
  type DueDelivery,
  endpointFailingSince,
  pruneSettledDeliveries,
  recordAttempt,
  updateEndpoint,
} from "../data/webhooks.ts";
import type { Logger } from "../log.ts";
import type { Outbox } from "../mail/outbox.ts";
import { templates } from "../mail/templates.ts";
import { openWithToken } from "../services/tokens.ts";
import type { DestinationCheck } from "./destination.ts";

/** What one delivery run did. */
export interface WebhookRunReport {
  delivered: number;
  failed: number;
}

/** How long deliveries are retried, and how long an endpoint may fail before it is disabled. */
export const RETRY_WINDOW_MS = 3 * 86_400_000;
/** Settled deliveries are kept this long (for the deliveries listing and manual retries). */
export const RETENTION_MS = 30 * 86_400_000;
/** The longest wait between two attempts. */
const MAX_BACKOFF_S = 6 * 3600;
/** How much of a response body is kept. */
export const EXCERPT_CHARS = 200;
// Small batches, each followed by a pause as long as it took (at most PAUSE_MAX_MS): delivery runs
// on the serving thread (signing, fetch, the batch's transactions), so a backlog is worked off at
// half duty and requests keep their latency. Measured with tests/bench/webhook_bench.ts: batches
// of 256 back to back kept /users/me p99 at 9x idle while a 10,000-event backlog drained.
const BATCH = 64;
const PAUSE_MAX_MS = 50;

/** Seconds to wait after the n-th failed attempt: 30 s, 1 min, 2 min, … capped at 6 h. */
export function webhookBackoffSeconds(attempts: number): number {
  return Math.min(30 * 2 ** (attempts - 1), MAX_BACKOFF_S);
}

/** The outcome of one HTTP attempt. */
interface Attempt {
  ok: boolean;
  statusCode: number | null;
  excerpt: string | null;
}

/**
 * Delivers queued webhook deliveries by the Standard Webhooks specification: a POST of the
 * payload with `webhook-id` (the event's id, the same on every retry), `webhook-timestamp` and
 * `webhook-signature` (`v1,<base64 HMAC-SHA256>` by the `standardwebhooks` package; during the
 * 24 h after a rotation, the old secret's signature follows the new one, space-separated).
 *
 * - **At least once.** A delivery is leased (its `next_attempt_at` pushed past the attempt's
 *   timeout) before it is sent and marked after the answer, so a crash before the mark sends it
 *   again after the lease, with the same `webhook-id`.
 * - **In order per member.** Only the head of each member's queue on an endpoint is ever due
 *   (`dueDeliveries`); the next event goes once the head is delivered or given up.
 * - **Concurrent across members**: up to `concurrency` requests in flight.
 * - A 2xx within `timeoutMs` is success; anything else (redirects included: they are not
 *   followed) is retried with exponential backoff until three days after the event, then given
 *   up (`failed`). An endpoint whose attempts have all failed for three days is disabled and
 *   the operators are mailed, in the same transaction.
 */
export class WebhookDeliverer {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #key: string;
  readonly #log: Logger;
  readonly #outbox: Outbox;
  readonly #check: DestinationCheck;
  readonly #timeoutMs: number;
  readonly #concurrency: number;
  readonly #productName: string;
  readonly #runs: SerialRuns<WebhookRunReport>;

  constructor(options: {
    db: Db;
    clock: Clock;
    /** Unseals endpoint secrets (see `sealWithToken`). */
    key: string;
    log: Logger;
    background: Background;
    outbox: Outbox;
    check: DestinationCheck;
    timeoutMs: number;
    concurrency?: number;
    productName: string;
  }) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#key = options.key;
    this.#log = options.log;
    this.#runs = new SerialRuns("webhook delivery", options.background, () => this.#deliverAll());
    this.#outbox = options.outbox;
    this.#check = options.check;
    this.#timeoutMs = options.timeoutMs;
    this.#concurrency = options.concurrency ?? 32;
    this.#productName = options.productName;
  }

  /** Asks for a delivery run soon, after the current one; call it after a commit that queued. */
  nudge(): void {
    this.#runs.nudge();
  }

  /** Resolves when no delivery run is in progress. */
  async idle(): Promise<void> {
    await this.#runs.idle();
  }

  /** Delivers everything due now, head by head; runs never overlap within this process. */
  deliverDue(): Promise<WebhookRunReport> {
    return this.#runs.run();
  }

  /** Deletes settled deliveries past the retention period; returns how many. */
  async prune(): Promise<number> {
    const before = new Date(this.#clock.now().getTime() - RETENTION_MS).toISOString();
    return await pruneSettledDeliveries(this.#db, before);
  }

  async #deliverAll(): Promise<WebhookRunReport> {
    const report = { delivered: 0, failed: 0 };
    for (;;) {
      const started = performance.now();
      const now = this.#clock.now();
      const nowIso = now.toISOString();
      const due = await dueDeliveries(this.#db, nowIso, BATCH);
      if (due.length === 0) return report;
      const lease = new Date(now.getTime() + this.#timeoutMs + 5_000).toISOString();
      const claimed = await claimDeliveries(this.#db, due.map((d) => d.id), nowIso, lease);
      const mine = due.filter((d) => claimed.has(d.id));
      if (mine.length === 0) return report; // another process took them all
      // Per endpoint and batch: its secrets, and the SSRF check of its URL (a DNS lookup).
      const secrets = new Map<string, Promise<Webhook[]>>();
      const refusals = new Map<string, Promise<string | null>>();
      const outcomes = await mapPooled(mine, this.#concurrency, async (delivery) => {
        let signers = secrets.get(delivery.endpoint_id);
        if (signers === undefined) {
          signers = this.#secretsOf(delivery, now);
          secrets.set(delivery.endpoint_id, signers);
        }
        let refusal = refusals.get(delivery.endpoint_id);
        if (refusal === undefined) {
          refusal = this.#check(delivery.url);
          refusals.set(delivery.endpoint_id, refusal);
        }
        return await this.#attempt(delivery, await signers, await refusal);
      });
      await this.#record(mine, outcomes);
      for (const outcome of outcomes) outcome.ok ? report.delivered++ : report.failed++;
      const pause = Math.min(PAUSE_MAX_MS, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, pause)); // requests waiting go first
    }
  }

  /** The endpoint's signers: its secret, then during a rotation's overlap the previous one. */
  async #secretsOf(delivery: DueDelivery, now: Date): Promise<Webhook[]> {
    const secrets = [await openWithToken(this.#key, delivery.secret_sealed)];
    if (
      delivery.previous_secret_sealed !== null && delivery.previous_secret_expires_at !== null &&
      delivery.previous_secret_expires_at > now.toISOString()
    ) {
      secrets.push(await openWithToken(this.#key, delivery.previous_secret_sealed));
    }
    if (secrets[0] === null) throw new Error("a webhook secret cannot be unsealed with this key");
    return secrets.filter((s): s is string => s !== null).map((secret) => new Webhook(secret));
  }

  async #attempt(
    delivery: DueDelivery,
    signers: Webhook[],
    refusal: string | null,
  ): Promise<Attempt> {
    if (refusal !== null) return { ok: false, statusCode: null, excerpt: `Refused: ${refusal}` };
    const sentAt = this.#clock.now();
    const signature = signers
      .map((signer) => signer.sign(delivery.event_id, sentAt, delivery.payload))
      .join(" ");
    try {
      const response = await fetch(delivery.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Vestibule-Webhooks/1.0",
          "webhook-id": delivery.event_id,
          "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
          "webhook-signature": signature,
        },
        body: delivery.payload,
        redirect: "manual",
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const excerpt = await readExcerpt(response);
      return {
        ok: response.status >= 200 && response.status < 300,
        statusCode: response.status,
        excerpt,
      };
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === "TimeoutError";
      return {
        ok: false,
        statusCode: null,
        excerpt: timedOut ? `No answer within ${this.#timeoutMs} ms` : String(error).slice(0, 200),
      };
    }
  }

  /** Writes a batch's outcomes, and the endpoints' failure clocks, in one transaction. */
  async #record(deliveries: DueDelivery[], outcomes: Attempt[]): Promise<void> {
    const now = this.#clock.now();
    const nowIso = now.toISOString();
    const succeeded = new Set<string>();
    const failedEndpoints = new Set<string>();
    let mailed = false;
    await writeTransaction(this.#db, async (trx) => {
      for (const [i, delivery] of deliveries.entries()) {
        const outcome = outcomes[i];
        const attempts = delivery.attempts + 1;
        const givenUp = !outcome.ok && nowIso >= delivery.give_up_at;
        const retryAt = outcome.ok || givenUp
          ? nowIso
          : new Date(now.getTime() + webhookBackoffSeconds(attempts) * 1000).toISOString();
        await recordAttempt(trx, delivery.id, {
          status: outcome.ok ? "delivered" : givenUp ? "failed" : "pending",
          attempts,
          at: nowIso,
          next_attempt_at: retryAt,
          status_code: outcome.statusCode,
          response: outcome.excerpt,
        });
        if (!outcome.ok && !givenUp) await deferFollowers(trx, delivery, retryAt);
        if (outcome.ok) succeeded.add(delivery.endpoint_id);
        else failedEndpoints.add(delivery.endpoint_id);
        if (!outcome.ok) {
          this.#log.error({
            msg: "webhook not delivered",
            delivery_id: delivery.id,
            endpoint_id: delivery.endpoint_id,
            attempts,
            status_code: outcome.statusCode,
          });
        }
      }
      for (const id of succeeded) {
        await updateEndpoint(trx, id, { failing_since: null, updated_at: nowIso });
      }
      for (const id of failedEndpoints) {
        if (succeeded.has(id)) continue;
        const since = await endpointFailingSince(trx, id);
        if (since === undefined) continue;
        if (since === null) {
          await updateEndpoint(trx, id, { failing_since: nowIso, updated_at: nowIso });
        } else if (now.getTime() - Date.parse(since) >= RETRY_WINDOW_MS) {
          const endpoint = await updateEndpoint(trx, id, {
            enabled: false,
            disabled_reason: `Every attempt failed since ${since}`,
            updated_at: nowIso,
          });
          for (const admin of await listAdminEmails(trx)) {
            await this.#outbox.enqueue(trx, {
              userId: null,
              kind: "webhook_disabled",
              to: admin,
              ...templates.webhookDisabled(this.#productName, endpoint!.url, since),
            });
            mailed = true;
          }
          this.#log.error({
            msg: "webhook endpoint disabled",
            endpoint_id: id,
            failing_since: since,
          });
        }
      }
    });
    if (mailed) this.#outbox.nudge();
  }
}

/** Reads at most a short excerpt of a response body, then lets the rest go. */
async function readExcerpt(response: Response): Promise<string | null> {
  if (response.body === null) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_CHARS * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  const text = new TextDecoder().decode(bytes).slice(0, EXCERPT_CHARS);
  return text === "" ? null : text;
}

/** `work` over `items` with at most `limit` running at once; results in input order. */
async function mapPooled<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  });
  await Promise.all(lanes);
  return results;
}
