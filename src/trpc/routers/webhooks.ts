import { messageOutput } from "../../schemas/common.ts";
import {
  createWebhookInput,
  deliveriesOutput,
  deliveriesQuery,
  deliveryIdInput,
  deliveryOutput,
  eventTypesOutput,
  updateWebhookInput,
  webhookIdInput,
  webhookListOutput,
  webhookOutput,
  webhookWithSecretOutput,
} from "../../schemas/webhooks.ts";
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhookDeliveries,
  listWebhooks,
  retryWebhookDelivery,
  rotateWebhookSecret,
  updateWebhook,
  webhookEventTypeList,
} from "../../services/webhooks.ts";
import { adminProcedure, router } from "../init.ts";

const tags = ["admin"];

/** Operators register the product's webhook endpoints and watch their deliveries. */
export const webhooksRouter = router({
  eventTypes: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/webhooks/event-types",
        tags,
        summary: "Webhook event types",
        description: "Every event type with the JSON Schema of its payload.",
      },
    })
    .output(eventTypesOutput)
    .query(() => ({ event_types: webhookEventTypeList() })),

  create: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/webhooks",
        tags,
        summary: "Register a webhook endpoint",
        description: "Answers the endpoint with its `whsec_` signing secret, shown only here. " +
          "The URL must be http(s) and, unless WEBHOOK_ALLOW_PRIVATE=true, public.",
      },
      errors: ["WEBHOOK_URL_REFUSED", "UNKNOWN_EVENT_TYPE"],
      successStatus: 201,
    })
    .input(createWebhookInput)
    .output(webhookWithSecretOutput)
    .mutation(({ ctx, input }) => createWebhook(ctx.deps, ctx.auth.userId, input, ctx.meta)),

  list: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/webhooks",
        tags,
        summary: "List webhook endpoints",
        description: "Every endpoint, oldest first, without its secret.",
      },
    })
    .output(webhookListOutput)
    .query(async ({ ctx }) => ({ webhooks: await listWebhooks(ctx.deps) })),

  get: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/webhooks/{id}",
        tags,
        summary: "One webhook endpoint",
        description: "The endpoint without its secret; `disabled_reason` says why it was disabled.",
      },
      errors: ["WEBHOOK_NOT_FOUND"],
    })
    .input(webhookIdInput)
    .output(webhookOutput)
    .query(({ ctx, input }) => getWebhook(ctx.deps, input.id)),

  update: adminProcedure
    .meta({
      openapi: {
        method: "PATCH",
        path: "/admin/webhooks/{id}",
        tags,
        summary: "Change a webhook endpoint",
        description: "Its URL, events or `enabled`; enabling it again resumes its deliveries.",
      },
      errors: ["WEBHOOK_URL_REFUSED", "UNKNOWN_EVENT_TYPE", "WEBHOOK_NOT_FOUND"],
    })
    .input(updateWebhookInput)
    .output(webhookOutput)
    .mutation(({ ctx, input: { id, ...changes } }) =>
      updateWebhook(ctx.deps, ctx.auth.userId, id, changes, ctx.meta)
    ),

  remove: adminProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/admin/webhooks/{id}",
        tags,
        summary: "Delete a webhook endpoint",
        description: "Deletes it with every delivery queued for it.",
      },
      errors: ["WEBHOOK_NOT_FOUND"],
    })
    .input(webhookIdInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      await deleteWebhook(ctx.deps, ctx.auth.userId, input.id, ctx.meta);
      return { message: "Webhook endpoint deleted" };
    }),

  rotateSecret: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/webhooks/{id}/rotate-secret",
        tags,
        summary: "Rotate a webhook endpoint's secret",
        description: "Answers the new secret (shown only here). The old one keeps signing " +
          "alongside it for 24 hours: two `v1,` signatures, space-separated.",
      },
      errors: ["WEBHOOK_NOT_FOUND"],
    })
    .input(webhookIdInput)
    .output(webhookWithSecretOutput)
    .mutation(({ ctx, input }) =>
      rotateWebhookSecret(ctx.deps, ctx.auth.userId, input.id, ctx.meta)
    ),

  deliveries: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/webhooks/{id}/deliveries",
        tags,
        summary: "A webhook endpoint's deliveries",
        description: "Newest first: status, attempts, last status code, next attempt.",
      },
      errors: ["WEBHOOK_NOT_FOUND"],
    })
    .input(deliveriesQuery)
    .output(deliveriesOutput)
    .query(({ ctx, input: { id, ...page } }) => listWebhookDeliveries(ctx.deps, id, page)),

  retryDelivery: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/webhooks/deliveries/{id}/retry",
        tags,
        summary: "Send a webhook delivery again",
        description:
          "Queues it now with a fresh three-day retry window, whatever its status; same webhook-id.",
      },
      errors: ["WEBHOOK_DELIVERY_NOT_FOUND"],
    })
    .input(deliveryIdInput)
    .output(deliveryOutput)
    .mutation(({ ctx, input }) =>
      retryWebhookDelivery(ctx.deps, ctx.auth.userId, input.id, ctx.meta)
    ),
});
