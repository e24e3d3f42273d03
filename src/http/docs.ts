import { join } from "node:path";
// Imported (not only read from disk) so the package is part of the module graph: a
// `deno install --entrypoint src/main.ts` (the Dockerfile's) installs it with the server.
import swaggerUiPath from "swagger-ui-dist/absolute-path.js";
import type { Config } from "../config.ts";
import { errorResponse } from "./responses.ts";
import { describeError } from "../trpc/error_body.ts";
import { DomainError } from "../services/errors.ts";

/** The files of Swagger UI's browser bundle served under `/docs/`, with their content types. */
const ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

// Only files of this origin: the bundle, its stylesheet and the start-up script below. Swagger UI
// sets inline `style` attributes on some elements (hence 'unsafe-inline' for styles, never for
// scripts) and draws its icons as data: images; "Try it out" calls this origin's API.
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const DOCS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-security-policy": DOCS_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
});

// Relative URLs throughout, so the page works behind a proxy that mounts Vestibule under a prefix.
const INIT_JS = `"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: new URL("openapi.json", document.baseURI).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
`;

const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

function readAsset(name: string): Promise<Uint8Array<ArrayBuffer>> {
  let bytes = cache.get(name);
  if (bytes === undefined) {
    bytes = Deno.readFile(join(swaggerUiPath(), name));
    bytes.catch(() => cache.delete(name));
    cache.set(name, bytes);
  }
  return bytes;
}

/** Whether `path` is the API reference page or one of its files. */
export function isDocsPath(path: string): boolean {
  return path === "/docs" || path.startsWith("/docs/");
}

/**
 * Serves the interactive API reference at `/docs`: Swagger UI from the `swagger-ui-dist` npm
 * package (read from `node_modules` at the first request, then kept in memory; never a CDN),
 * reading the served `/openapi.json`. The page and its files carry a CSP that admits only this
 * origin's scripts and forbids framing.
 */
export async function serveDocs(
  request: Request,
  path: string,
  config: Pick<Config, "productName">,
): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return errorResponse(describeError(new DomainError("METHOD_NOT_ALLOWED")), {
      allow: "GET, HEAD",
    });
  }
  if (path === "/docs") {
    return new Response(page(config.productName), {
      headers: { ...DOCS_HEADERS, "content-type": "text/html; charset=utf-8" },
    });
  }
  const name = path.slice("/docs/".length);
  if (name === "init.js") {
    return new Response(INIT_JS, { headers: asset("text/javascript; charset=utf-8") });
  }
  if (!Object.hasOwn(ASSETS, name)) {
    return errorResponse(describeError(new DomainError("NOT_FOUND")));
  }
  return new Response(await readAsset(name), { headers: asset(ASSETS[name]) });
}

function asset(contentType: string): Record<string, string> {
  // The package is pinned, so a file changes only with a deploy: an hour of caching is safe.
  return { ...DOCS_HEADERS, "content-type": contentType, "cache-control": "public, max-age=3600" };
}

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(product: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference · ${escape(product)}</title>
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
<link rel="stylesheet" href="docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script><script src="docs/init.js"></script>
</body></html>`;
}
