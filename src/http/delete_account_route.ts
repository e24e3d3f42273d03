import { deleteAccountInput, deletionScheduledOutput } from "../schemas/account.ts";
import { readJsonBody } from "./body.ts";
import type { ExtraPaths } from "./openapi.ts";
import { json } from "./responses.ts";
import type { CustomRoute } from "./rest.ts";

/**
 * `DELETE /users/me` takes its password in a JSON body: trpc-to-openapi would read DELETE input
 * from the query string, which must never carry a password. The edge reads the body and calls
 * the same procedure tRPC clients call.
 */
export function deleteAccountRoute(maxBodyBytes: number): CustomRoute {
  return {
    method: "DELETE",
    path: "/users/me",
    handle: async ({ request, callProcedure }) =>
      json(await callProcedure("users.deleteMe", await readJsonBody(request, maxBodyBytes))),
  };
}

/** The operation as documented in `openapi.json` (OpenAPI 3.1 allows a DELETE body). */
export const deleteAccountOpenApi: ExtraPaths = {
  "/users/me": {
    delete: {
      operationId: "users-deleteMe",
      summary: "Delete your account",
      description:
        "Schedules your account for deletion after the grace period (14 days by default) " +
        "and signs out every session. Signing in again before the date, or the link in the " +
        "confirmation mail, cancels it. A member without a password (signed up with Google) " +
        "leaves `password` out and must have signed in within the last 10 minutes.",
      tags: ["account"],
      security: [{ bearer: [] }],
      requestBody: {
        required: true,
        content: { "application/json": { schema: deleteAccountInput } },
      },
      responses: {
        "200": {
          description: "Successful response",
          content: { "application/json": { schema: deletionScheduledOutput } },
        },
      },
    },
  },
};
