import { pictureOutput } from "../schemas/profile_picture.ts";
import { readMultipart } from "./body.ts";
import type { ExtraPaths } from "./openapi.ts";
import { json } from "./responses.ts";
import type { CustomRoute } from "./rest.ts";

/**
 * `POST /users/me/profile-picture` takes `multipart/form-data`, which trpc-to-openapi cannot
 * express: the REST edge parses the form (under the upload limit) and calls the same procedure
 * tRPC clients call with `FormData`.
 */
export const profilePictureRoute: CustomRoute = {
  method: "POST",
  path: "/users/me/profile-picture",
  handle: async ({ request, callProcedure }) =>
    json(await callProcedure("users.uploadProfilePicture", await readMultipart(request))),
};

/** The operation as documented in `openapi.json`. */
export const profilePictureOpenApi: ExtraPaths = {
  "/users/me/profile-picture": {
    post: {
      operationId: "users-uploadProfilePicture",
      summary: "Upload your profile picture",
      description:
        "JPEG, PNG or WebP up to 5 MB and 2000x2000 pixels, sent as the form field `file`. " +
        "It is stored as a JPEG fitted into 400x400, without metadata.",
      tags: ["account"],
      security: [{ bearer: [] }],
      requestBody: {
        required: true,
        content: {
          "multipart/form-data": {
            schema: {
              type: "object",
              required: ["file"],
              properties: {
                file: { type: "string", format: "binary", description: "The picture" },
              },
            },
          },
        },
      },
      responses: {
        "200": {
          description: "Successful response",
          content: { "application/json": { schema: pictureOutput } },
        },
      },
    },
  },
};
