import type { ExtraPaths } from "./openapi.ts";
import { profilePictureOpenApi, profilePictureRoute } from "./profile_picture_route.ts";
import type { CustomRoute } from "./rest.ts";

/** The REST routes the edge serves itself, because trpc-to-openapi cannot express them. */
export const customRoutes: CustomRoute[] = [profilePictureRoute];

/** Their operations, added to the generated OpenAPI document. */
export const customPaths: ExtraPaths = { ...profilePictureOpenApi };
