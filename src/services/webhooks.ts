import { writeTransaction } from "../data/transactions.ts";
import { z } from "zod";
import type { Db } from "../data/database.ts";
import {
  deleteEndpoint,
  enabledEndpointFilters,
  endpointSecretSealed,
  findEndpoint,
  insertDeliveries,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  nextMemberSeq,
  requeueDelivery,
  updateEndpoint,
  type WebhookDelivery,
  type WebhookEndpoint,
} from "../data/webhooks.ts";
import type { Deps } from "../deps.ts";
import {
  webhookEnvelope,
  webhookEventData,
  type WebhookEventDataOf,
  type WebhookEventType,
  webhookEventTypes,
} from "../schemas/webhooks.ts";
import { RETRY_WINDOW_MS } from "../webhooks/deliverer.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { DomainError } from "./errors.ts";
import { type Page, pageOf } from "./pagination.ts";
import { sealWithToken } from "./tokens.ts";

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

/** A new signing secret: `whsec_` and 32 random bytes in base64 (the Standard Webhooks form). */
export function generateWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

/** A random unique id with a prefix that says what it names (`msg_…`, `whd_…`, `wh_…`). */
function newId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;
}

/**
 * Queues one event for every enabled endpoint that subscribes to its type, in the caller's
 * transaction: it exists exactly when the change that causes it commits. The payload is
 * `{"type", "timestamp", "data"}`, `data` parsed through the event's schema so nothing beyond
 * the documented fields (never a secret) can leave. The member's next sequence number fixes the
 * order their events are delivered in.
 */
export async function emitWebhook<T extends WebhookEventType>(
  deps: Deps,
  trx: Db,
  type: T,
  data: WebhookEventDataOf<T>,
): Promise<void> {
  await emitWebhooks(deps, trx, type, [data]);
}

/**
 * `emitWebhook` for several events of one type (each about its own member), as the purge queues
 * them: the endpoints are read once and every delivery is written in one statement.
 */
export async function emitWebhooks<T extends WebhookEventType>(
  deps: Deps,
  trx: Db,
  type: T,
  events: readonly WebhookEventDataOf<T>[],
): Promise<void> {
  if (events.length === 0) return;
  const endpoints = (await enabledEndpointFilters(trx))
    .filter((e) => e.events.length === 0 || e.events.includes(type));
  if (endpoints.length === 0) return;
  const now = deps.clock.now().toISOString();
  const giveUpAt = new Date(Date.parse(now) + RETRY_WINDOW_MS).toISOString();
  const rows = [];
  for (const data of events) {
    const payload = JSON.stringify(webhookEnvelope(type).parse({ type, timestamp: now, data }));
    const userId = (data as { user_id: string }).user_id;
    const seq = await nextMemberSeq(trx, userId);
    const eventId = newId("msg");
    for (const endpoint of endpoints) {
      rows.push({
        id: newId("whd"),
        event_id: eventId,
        endpoint_id: endpoint.id,
        user_id: userId,
        seq,
        type,
        payload,
        next_attempt_at: now,
        give_up_at: giveUpAt,
        created_at: now,
      });
    }
  }
  await insertDeliveries(trx, rows);
}

function assertEventTypes(events: string[] | undefined): void {
  const unknown = (events ?? []).filter((e) => !(webhookEventTypes as string[]).includes(e));
  if (unknown.length > 0) {
    throw new DomainError("UNKNOWN_EVENT_TYPE", `Unknown event type: ${unknown.join(", ")}`);
  }
}

async function assertDestination(deps: Deps, url: string): Promise<void> {
  const refusal = await deps.checkWebhookUrl(url);
  if (refusal !== null) throw new DomainError("WEBHOOK_URL_REFUSED", refusal);
}

/**
 * Registers an endpoint and returns it with its signing secret, the only time the secret is
 * shown (it is stored sealed under a server key, since signing needs it). The URL must be
 * http(s) and, unless `WEBHOOK_ALLOW_PRIVATE=true`, resolve only to public addresses.
 * @throws {DomainError} `VALIDATION_ERROR` naming what is wrong with the URL or an unknown event
 */
export async function createWebhook(
  deps: Deps,
  operatorId: string | null,
  input: { url: string; events?: string[]; description?: string },
  meta: RequestMeta,
): Promise<WebhookEndpoint & { secret: string }> {
  assertEventTypes(input.events);
  await assertDestination(deps, input.url);
  const secret = generateWebhookSecret();
  const now = deps.clock.now();
  const at = now.toISOString();
  const endpoint = await writeTransaction(deps.db, async (trx) => {
    const created = await insertEndpoint(trx, {
      id: newId("wh"),
      url: input.url,
      events: [...new Set(input.events ?? [])],
      description: input.description || null,
      enabled: true,
      secret_sealed: await sealWithToken(deps.webhookKey, secret),
      previous_secret_sealed: null,
      previous_secret_expires_at: null,
      failing_since: null,
      disabled_reason: null,
      created_at: at,
      updated_at: at,
    });
    await audit(trx, "webhook.created", operatorId, meta, now, {
      endpoint_id: created.id,
      url: created.url,
    });
    return created;
  });
  return { ...endpoint, secret };
}

/** Every endpoint, oldest first, without secrets. */
export async function listWebhooks(deps: Deps): Promise<WebhookEndpoint[]> {
  return await listEndpoints(deps.db);
}

/**
 * One endpoint, without its secret.
 * @throws {DomainError} `WEBHOOK_NOT_FOUND`
 */
export async function getWebhook(deps: Deps, id: string): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(deps.db, id);
  if (endpoint === undefined) throw new DomainError("WEBHOOK_NOT_FOUND");
  return endpoint;
}

/**
 * Changes an endpoint's URL (checked as at registration), events or `enabled`. Enabling it again
 * clears the failure clock and the reason it was disabled; its pending deliveries resume.
 * @throws {DomainError} `WEBHOOK_NOT_FOUND`, `VALIDATION_ERROR`
 */
export async function updateWebhook(
  deps: Deps,
  operatorId: string | null,
  id: string,
  input: { url?: string; events?: string[]; enabled?: boolean },
  meta: RequestMeta,
): Promise<WebhookEndpoint> {
  assertEventTypes(input.events);
  if (input.url !== undefined) await assertDestination(deps, input.url);
  const now = deps.clock.now();
  const endpoint = await writeTransaction(deps.db, async (trx) => {
    const updated = await updateEndpoint(trx, id, {
      url: input.url,
      events: input.events && [...new Set(input.events)],
      enabled: input.enabled,
      ...(input.enabled === true ? { failing_since: null, disabled_reason: null } : {}),
      updated_at: now.toISOString(),
    });
    if (updated === undefined) throw new DomainError("WEBHOOK_NOT_FOUND");
    await audit(trx, "webhook.updated", operatorId, meta, now, {
      endpoint_id: id,
      fields: Object.keys(input),
    });
    return updated;
  });
  if (input.enabled === true) deps.webhooks.nudge();
  return endpoint;
}

/**
 * Deletes an endpoint and every delivery queued for it.
 * @throws {DomainError} `WEBHOOK_NOT_FOUND`
 */
export async function deleteWebhook(
  deps: Deps,
  operatorId: string | null,
  id: string,
  meta: RequestMeta,
): Promise<void> {
  const now = deps.clock.now();
  await writeTransaction(deps.db, async (trx) => {
    if (!await deleteEndpoint(trx, id)) throw new DomainError("WEBHOOK_NOT_FOUND");
    await audit(trx, "webhook.deleted", operatorId, meta, now, { endpoint_id: id });
  });
}

/**
 * Gives an endpoint a new secret and returns it (shown only here). For the next 24 hours the
 * old secret signs too: each request carries both signatures, so a receiver that still holds
 * only the old one keeps verifying while it is updated.
 * @throws {DomainError} `WEBHOOK_NOT_FOUND`
 */
export async function rotateWebhookSecret(
  deps: Deps,
  operatorId: string | null,
  id: string,
  meta: RequestMeta,
): Promise<WebhookEndpoint & { secret: string }> {
  const secret = generateWebhookSecret();
  const sealed = await sealWithToken(deps.webhookKey, secret);
  const now = deps.clock.now();
  const endpoint = await writeTransaction(deps.db, async (trx) => {
    const current = await endpointSecretSealed(trx, id);
    if (current === undefined) throw new DomainError("WEBHOOK_NOT_FOUND");
    const updated = await updateEndpoint(trx, id, {
      secret_sealed: sealed,
      previous_secret_sealed: current,
      previous_secret_expires_at: new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString(),
      updated_at: now.toISOString(),
    });
    await audit(trx, "webhook.secret_rotated", operatorId, meta, now, { endpoint_id: id });
    return updated!;
  });
  return { ...endpoint, secret };
}

/**
 * A page of an endpoint's deliveries, newest first.
 * @throws {DomainError} `WEBHOOK_NOT_FOUND`
 */
export async function listWebhookDeliveries(
  deps: Deps,
  id: string,
  query: { page: number; limit: number },
): Promise<{ deliveries: WebhookDelivery[]; pagination: Page }> {
  await getWebhook(deps, id);
  const { rows, total } = await listDeliveries(
    deps.db,
    id,
    query.limit,
    (query.page - 1) * query.limit,
  );
  return { deliveries: rows, pagination: pageOf(query.page, query.limit, total) };
}

/**
 * Sends a delivery again now, with a fresh three-day retry window, whatever its status. Its
 * `webhook-id` stays the same, so a receiver that already has it can tell.
 * @throws {DomainError} `WEBHOOK_DELIVERY_NOT_FOUND`
 */
export async function retryWebhookDelivery(
  deps: Deps,
  operatorId: string | null,
  id: string,
  meta: RequestMeta,
): Promise<WebhookDelivery> {
  const now = deps.clock.now();
  const delivery = await writeTransaction(deps.db, async (trx) => {
    const requeued = await requeueDelivery(
      trx,
      id,
      now.toISOString(),
      new Date(now.getTime() + RETRY_WINDOW_MS).toISOString(),
    );
    if (requeued === undefined) throw new DomainError("WEBHOOK_DELIVERY_NOT_FOUND");
    await audit(trx, "webhook.delivery_retried", operatorId, meta, now, { delivery_id: id });
    return requeued;
  });
  deps.webhooks.nudge();
  return delivery;
}

/** Every event type, with the JSON Schema of its whole payload, from the schemas that build it. */
export function webhookEventTypeList(): {
  type: string;
  description: string;
  schema: Record<string, unknown>;
}[] {
  return webhookEventTypes.map((type) => ({
    type,
    description: webhookEventData[type].meta()?.description ?? "",
    schema: z.toJSONSchema(webhookEnvelope(type), { io: "output" }) as Record<string, unknown>,
  }));
}
