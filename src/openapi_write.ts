import { customPaths, edgePaths } from "./http/custom_routes.ts";
import { buildOpenApiDocument } from "./http/openapi.ts";
import { appRouter } from "./trpc/app_router.ts";

/** The committed `openapi.json`, exactly as `deno task openapi` writes it. */
export function renderOpenApi(): string {
  return JSON.stringify(buildOpenApiDocument(appRouter, customPaths, edgePaths), null, 2) + "\n";
}

if (import.meta.main) {
  const target = new URL("../openapi.json", import.meta.url);
  await Deno.writeTextFile(target, renderOpenApi());
  console.log(`wrote ${target.pathname}`);
}
