import type { Config } from "../config.ts";
import { deleteAccountOpenApi, deleteAccountRoute } from "./delete_account_route.ts";
import type { ExtraPaths } from "./openapi.ts";
import { profilePictureOpenApi, profilePictureRoute } from "./profile_picture_route.ts";
import type { CustomRoute } from "./rest.ts";

/** The REST routes the edge serves itself, because trpc-to-openapi cannot express them. */
export function customRoutes(config: Pick<Config, "maxBodyBytes">): CustomRoute[] {
  return [profilePictureRoute, deleteAccountRoute(config.maxBodyBytes)];
}

/** Their operations, added to the generated OpenAPI document. */
export const customPaths: ExtraPaths = { ...profilePictureOpenApi, ...deleteAccountOpenApi };
