import { z } from "zod";
import { timestamp } from "./common.ts";
import { jobStatus } from "./jobs.ts";
import { pageQuery, paginationOutput } from "./pagination.ts";

const userId = z.string().meta({ description: "The member's id" });

/**
 * The `data` of every webhook event, by type. Payloads are built by parsing through these
 * schemas (unknown keys are dropped), so an event can never carry more than is declared here:
 * never a password, hash, token or secret. `z.toJSONSchema` of the same schemas is what
 * `GET /admin/webhooks/event-types` answers.
 */
export const webhookEventData = {
  "user.created": z.object({
    user_id: userId,
    email: z.string(),
    name: z.string().nullable(),
    email_verified: z.boolean(),
    created_at: timestamp,
  }).meta({ description: "A member registered" }),
  "user.email_verified": z.object({ user_id: userId, email: z.string() })
    .meta({ description: "A member proved their address (verification link or password reset)" }),
  "user.updated": z.object({
    user_id: userId,
    name: z.string().nullable().optional(),
    phone: z.string().nullable().optional(),
    profile_picture: z.string().nullable().optional(),
  }).meta({
    description:
      "Profile fields changed; only the changed fields are present, with their new value",
  }),
  "user.email_changed": z.object({ user_id: userId, old_email: z.string(), new_email: z.string() })
    .meta({ description: "A member confirmed a new address" }),
  "user.password_changed": z.object({ user_id: userId, via: z.enum(["change", "reset"]) })
    .meta({ description: "A member changed or reset their password" }),
  "user.sessions_revoked": z.object({
    user_id: userId,
    reason: z.enum([
      "logout_all",
      "password_changed",
      "password_reset",
      "account_deletion",
      "email_change_reverted",
    ]),
    count: z.number().int().meta({ description: "How many sessions this revoked" }),
  }).meta({ description: "Sessions of a member were revoked at once" }),
  "user.deletion_scheduled": z.object({ user_id: userId, deletion_date: timestamp })
    .meta({ description: "A member asked for deletion; the purge follows at deletion_date" }),
  "user.deletion_cancelled": z.object({ user_id: userId, via: z.enum(["sign_in", "link"]) })
    .meta({ description: "A pending deletion was cancelled" }),
  "user.purged": z.object({ user_id: userId }).meta({
    description: "The member is gone: delete or anonymise the product's own rows about them",
  }),
  "credits.granted": z.object({
    user_id: userId,
    lot_id: z.string(),
    amount: z.number().int(),
    source: z.string(),
    expires_at: timestamp.nullable(),
  }).meta({ description: "An operator granted credits" }),
  "job.status_changed": z.object({
    user_id: userId,
    job_id: z.string(),
    kind: z.string(),
    from: jobStatus,
    to: jobStatus,
    refunded: z.number().int().meta({ description: "Credits refunded by this change" }),
  }).meta({ description: "A job moved to a new status" }),
} as const;

export type WebhookEventType = keyof typeof webhookEventData;
export const webhookEventTypes = Object.keys(webhookEventData) as WebhookEventType[];
export type WebhookEventDataOf<T extends WebhookEventType> = z.input<(typeof webhookEventData)[T]>;

/** The envelope every event is sent in: `{"type", "timestamp", "data"}`. */
export function webhookEnvelope<T extends WebhookEventType>(type: T) {
  return z.object({ type: z.literal(type), timestamp, data: webhookEventData[type] });
}

const eventType = z.enum(webhookEventTypes as [WebhookEventType, ...WebhookEventType[]], {
  error: `events must only hold known event types: ${webhookEventTypes.join(", ")}`,
});

const webhookUrl = z.string().trim()
  .min(1, "url is required").max(2000, "url must be at most 2000 characters")
  .meta({ description: "http(s) URL events are POSTed to", example: "https://example.com/hooks" });
const events = z.array(eventType).max(webhookEventTypes.length, "events has too many entries")
  .meta({ description: "Event types to send; empty or absent means every event" });
const endpointId = z.string().max(100, "id must be at most 100 characters")
  .meta({ description: "The endpoint's id" });

export const createWebhookInput = z.strictObject({
  url: webhookUrl,
  events: events.optional(),
  description: z.string().trim().max(500, "description must be at most 500 characters")
    .optional(),
});

export const updateWebhookInput = z.strictObject({
  id: endpointId,
  url: webhookUrl.optional(),
  events: events.optional(),
  enabled: z.boolean().optional(),
});

export const webhookIdInput = z.strictObject({ id: endpointId });

export const webhookOutput = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable()
    .meta({ description: "Why Vestibule disabled it (three days of failures); null otherwise" }),
  created_at: timestamp,
  updated_at: timestamp,
}).meta({ id: "WebhookEndpoint" });

export const webhookWithSecretOutput = webhookOutput.extend({
  secret: z.string().meta({ description: "The whsec_ signing secret, shown only here" }),
}).meta({ id: "WebhookEndpointWithSecret" });

export const webhookListOutput = z.object({ webhooks: z.array(webhookOutput) });

export const deliveriesQuery = z.strictObject({ id: endpointId, ...pageQuery });

export const deliveryOutput = z.object({
  id: z.string(),
  event_id: z.string().meta({ description: "The webhook-id header (stable across retries)" }),
  type: z.string(),
  user_id: z.string(),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  last_status_code: z.number().int().nullable(),
  last_response: z.string().nullable().meta({ description: "A short excerpt of the last answer" }),
  last_attempt_at: timestamp.nullable(),
  next_attempt_at: timestamp.nullable().meta({ description: "null once delivered or given up" }),
  created_at: timestamp,
  delivered_at: timestamp.nullable(),
}).meta({ id: "WebhookDelivery" });

export const deliveriesOutput = z.object({
  deliveries: z.array(deliveryOutput),
  pagination: paginationOutput,
});

export const deliveryIdInput = z.strictObject({
  id: z.string().max(100, "id must be at most 100 characters")
    .meta({ description: "The delivery's id" }),
});

export const eventTypesOutput = z.object({
  event_types: z.array(z.object({
    type: z.string(),
    description: z.string(),
    schema: z.record(z.string(), z.unknown())
      .meta({ description: "JSON Schema of the whole payload ({type, timestamp, data})" }),
  })),
});
