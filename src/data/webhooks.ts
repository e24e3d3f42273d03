import type { Db, WebhookDeliveriesTable, WebhookEndpointsTable } from "./database.ts";

/** An endpoint as operators see it: no secret. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** A delivery as operators see it: no payload. */
export interface WebhookDelivery {
  id: string;
  event_id: string;
  type: string;
  user_id: string;
  status: WebhookDeliveriesTable["status"];
  attempts: number;
  last_status_code: number | null;
  last_response: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** A delivery the deliverer is about to send, with what it needs to sign it. */
export interface DueDelivery {
  id: string;
  event_id: string;
  endpoint_id: string;
  user_id: string;
  seq: number;
  url: string;
  payload: string;
  attempts: number;
  give_up_at: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: string | null;
}

const endpointColumns = [
  "id",
  "url",
  "events",
  "description",
  "enabled",
  "disabled_reason",
  "created_at",
  "updated_at",
] as const;

function toEndpoint(
  row: Pick<WebhookEndpointsTable, (typeof endpointColumns)[number]>,
): WebhookEndpoint {
  return { ...row, events: JSON.parse(row.events), enabled: row.enabled === 1 };
}

const deliveryColumns = [
  "id",
  "event_id",
  "type",
  "user_id",
  "status",
  "attempts",
  "last_status_code",
  "last_response",
  "last_attempt_at",
  "next_attempt_at",
  "created_at",
  "delivered_at",
] as const;

function toDelivery(
  row: Pick<WebhookDeliveriesTable, (typeof deliveryColumns)[number]>,
): WebhookDelivery {
  return { ...row, next_attempt_at: row.status === "pending" ? row.next_attempt_at : null };
}

/** Inserts an endpoint; `events` is stored as a JSON array. */
export async function insertEndpoint(
  db: Db,
  row: Omit<WebhookEndpointsTable, "events" | "enabled"> & { events: string[]; enabled: boolean },
): Promise<WebhookEndpoint> {
  const inserted = await db.insertInto("webhook_endpoints")
    .values({ ...row, events: JSON.stringify(row.events), enabled: row.enabled ? 1 : 0 })
    .returning(endpointColumns).executeTakeFirstOrThrow();
  return toEndpoint(inserted);
}

/** Every endpoint, oldest first, without secrets. */
export async function listEndpoints(db: Db): Promise<WebhookEndpoint[]> {
  const rows = await db.selectFrom("webhook_endpoints").select(endpointColumns)
    .orderBy("created_at").orderBy("id").execute();
  return rows.map(toEndpoint);
}

/** One endpoint without its secrets, or `undefined`. */
export async function findEndpoint(db: Db, id: string): Promise<WebhookEndpoint | undefined> {
  const row = await db.selectFrom("webhook_endpoints").select(endpointColumns)
    .where("id", "=", id).executeTakeFirst();
  return row && toEndpoint(row);
}

/** An endpoint's current secret, sealed (for a rotation), or `undefined`. */
export async function endpointSecretSealed(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom("webhook_endpoints").select("secret_sealed")
    .where("id", "=", id).executeTakeFirst();
  return row?.secret_sealed;
}

/** The enabled endpoints and their event filters: where a new event goes. */
export async function enabledEndpointFilters(
  db: Db,
): Promise<{ id: string; events: string[] }[]> {
  const rows = await db.selectFrom("webhook_endpoints").select(["id", "events"])
    .where("enabled", "=", 1).execute();
  return rows.map((row) => ({ id: row.id, events: JSON.parse(row.events) }));
}

/** Changes an endpoint; returns it, or `undefined` when there is none with this id. */
export async function updateEndpoint(
  db: Db,
  id: string,
  changes: {
    url?: string;
    events?: string[];
    enabled?: boolean;
    secret_sealed?: string;
    previous_secret_sealed?: string | null;
    previous_secret_expires_at?: string | null;
    failing_since?: string | null;
    disabled_reason?: string | null;
    updated_at: string;
  },
): Promise<WebhookEndpoint | undefined> {
  const { events, enabled, ...rest } = changes;
  const row = await db.updateTable("webhook_endpoints")
    .set({
      ...rest,
      ...(events === undefined ? {} : { events: JSON.stringify(events) }),
      ...(enabled === undefined ? {} : { enabled: enabled ? 1 : 0 }),
    })
    .where("id", "=", id).returning(endpointColumns).executeTakeFirst();
  return row && toEndpoint(row);
}

/** Deletes an endpoint and (cascade) its deliveries; false when there was none. */
export async function deleteEndpoint(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom("webhook_endpoints").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows === 1n;
}

/** The next number in the member's event order (1 for their first event still on file). */
export async function nextMemberSeq(db: Db, userId: string): Promise<number> {
  const row = await db.selectFrom("webhook_deliveries")
    .select((eb) => eb.fn.max("seq").as("max"))
    .where("user_id", "=", userId).executeTakeFirst();
  return Number(row?.max ?? 0) + 1;
}

/** Queues deliveries (one per endpoint of one event) in the caller's transaction. */
export async function insertDeliveries(
  db: Db,
  rows: Omit<
    WebhookDeliveriesTable,
    | "status"
    | "attempts"
    | "last_attempt_at"
    | "last_status_code"
    | "last_response"
    | "delivered_at"
  >[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto("webhook_deliveries")
    .values(rows.map((row) => ({ ...row, status: "pending" as const, attempts: 0 })))
    .execute();
}

/**
 * Deliveries due at `now` on enabled endpoints that are each the head of their member's queue
 * on that endpoint: no earlier event of the same member is still pending there (in flight,
 * waiting for a retry, or due), so a member's events go out strictly in order.
 */
export async function dueDeliveries(db: Db, now: string, limit: number): Promise<DueDelivery[]> {
  return await db.selectFrom("webhook_deliveries as d")
    .innerJoin("webhook_endpoints as e", "e.id", "d.endpoint_id")
    .select([
      "d.id",
      "d.event_id",
      "d.endpoint_id",
      "d.user_id",
      "d.seq",
      "e.url",
      "d.payload",
      "d.attempts",
      "d.give_up_at",
      "e.secret_sealed",
      "e.previous_secret_sealed",
      "e.previous_secret_expires_at",
    ])
    .where("d.status", "=", "pending")
    .where("d.next_attempt_at", "<=", now)
    .where("e.enabled", "=", 1)
    .where(({ not, exists, selectFrom }) =>
      not(exists(
        selectFrom("webhook_deliveries as p").select("p.id")
          .whereRef("p.user_id", "=", "d.user_id")
          .whereRef("p.endpoint_id", "=", "d.endpoint_id")
          // Two concurrent transactions (PostgreSQL) may number the same seq: ids break the tie.
          // (`seq <=` first, so the index's range serves it.)
          .whereRef("p.seq", "<=", "d.seq")
          .where((eb) =>
            eb.or([eb("p.seq", "<", eb.ref("d.seq")), eb("p.id", "<", eb.ref("d.id"))])
          )
          .where("p.status", "=", "pending"),
      ))
    )
    // Index order only (no tie-breakers to sort on): the scan stops after `limit` heads, so a
    // run over a long queue never reads the whole of it in one synchronous statement.
    .orderBy("d.next_attempt_at")
    .limit(limit).execute();
}

/**
 * Leases deliveries to this process until `until`: only those still pending and due at `now`
 * are taken (one statement, so of two processes each row goes to one). Returns the ids taken.
 */
export async function claimDeliveries(
  db: Db,
  ids: string[],
  now: string,
  until: string,
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.updateTable("webhook_deliveries").set({ next_attempt_at: until })
    .where("id", "in", ids).where("status", "=", "pending").where("next_attempt_at", "<=", now)
    .returning("id").execute();
  return new Set(rows.map((row) => row.id));
}

/** Records one attempt's outcome on a delivery. */
export async function recordAttempt(
  db: Db,
  id: string,
  outcome: {
    status: WebhookDeliveriesTable["status"];
    attempts: number;
    at: string;
    next_attempt_at: string;
    status_code: number | null;
    response: string | null;
  },
): Promise<void> {
  await db.updateTable("webhook_deliveries").set({
    status: outcome.status,
    attempts: outcome.attempts,
    last_attempt_at: outcome.at,
    next_attempt_at: outcome.next_attempt_at,
    last_status_code: outcome.status_code,
    last_response: outcome.response,
    delivered_at: outcome.status === "delivered" ? outcome.at : null,
  }).where("id", "=", id).execute();
}

/**
 * Moves the member's later pending deliveries on this endpoint to no earlier than `until` (the
 * failed head's next attempt): they cannot go before it anyway, and out of the due range they
 * cost a delivery run nothing while an endpoint is down with a long queue.
 */
export async function deferFollowers(
  db: Db,
  head: { user_id: string; endpoint_id: string; seq: number },
  until: string,
): Promise<void> {
  await db.updateTable("webhook_deliveries").set({ next_attempt_at: until })
    .where("user_id", "=", head.user_id).where("endpoint_id", "=", head.endpoint_id)
    .where("seq", ">", head.seq).where("status", "=", "pending")
    .where("next_attempt_at", "<", until)
    .execute();
}

/** An endpoint's failure clock: when its current run of failures began (null: none). */
export async function endpointFailingSince(db: Db, id: string): Promise<string | null | undefined> {
  const row = await db.selectFrom("webhook_endpoints").select("failing_since")
    .where("id", "=", id).executeTakeFirst();
  return row?.failing_since;
}

/** A page of an endpoint's deliveries, newest first, and their total. */
export async function listDeliveries(
  db: Db,
  endpointId: string,
  limit: number,
  offset: number,
): Promise<{ rows: WebhookDelivery[]; total: number }> {
  const count = await db.selectFrom("webhook_deliveries")
    .select((eb) => eb.fn.countAll().as("n")).where("endpoint_id", "=", endpointId)
    .executeTakeFirst();
  const rows = await db.selectFrom("webhook_deliveries").select(deliveryColumns)
    .where("endpoint_id", "=", endpointId)
    .orderBy("created_at", "desc").orderBy("seq", "desc").orderBy("id", "desc")
    .limit(limit).offset(offset).execute();
  return { rows: rows.map(toDelivery), total: Number(count?.n ?? 0) };
}

/**
 * Puts a delivery back in the queue, due at `now`, with a fresh retry window; returns it, or
 * `undefined` when there is none with this id.
 */
export async function requeueDelivery(
  db: Db,
  id: string,
  now: string,
  giveUpAt: string,
): Promise<WebhookDelivery | undefined> {
  const row = await db.updateTable("webhook_deliveries")
    .set({ status: "pending", next_attempt_at: now, give_up_at: giveUpAt, delivered_at: null })
    .where("id", "=", id).returning(deliveryColumns).executeTakeFirst();
  return row && toDelivery(row);
}

/** Deletes the members' settled (delivered or given-up) deliveries: the purge's step. */
export async function deleteSettledDeliveriesOf(db: Db, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db.deleteFrom("webhook_deliveries").where("user_id", "in", userIds)
    .where("status", "!=", "pending").execute();
}

/** Deletes settled deliveries created before `before`: the queue's retention. */
export async function pruneSettledDeliveries(db: Db, before: string): Promise<number> {
  const result = await db.deleteFrom("webhook_deliveries").where("status", "!=", "pending")
    .where("created_at", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
