import type { Config } from "../config.ts";
import { deleteAccountOpenApi, deleteAccountRoute } from "./delete_account_route.ts";
import { oauthOpenApi, oauthRoutes } from "./oauth_routes.ts";
import type { ExtraPaths } from "./openapi.ts";
import { profilePictureOpenApi, profilePictureRoute } from "./profile_picture_route.ts";
import type { CustomRoute } from "./rest.ts";

/** The REST routes the edge serves itself, because trpc-to-openapi cannot express them. */
export function customRoutes(config: Config): CustomRoute[] {
  return [profilePictureRoute, deleteAccountRoute(config.maxBodyBytes), ...oauthRoutes(config)];
}

/** Their operations, added to the generated OpenAPI document. */
export const customPaths: ExtraPaths = {
  ...profilePictureOpenApi,
  ...deleteAccountOpenApi,
};

/** Operations with no procedure behind them (the OAuth flow), added to the document as written. */
export const edgePaths = oauthOpenApi;
