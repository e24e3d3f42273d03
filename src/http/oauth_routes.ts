import type { Config } from "../config.ts";
import { DomainError } from "../services/errors.ts";
import {
  appRedirect,
  authorizationServerMetadata,
  type AuthorizeParams,
  CALLBACK_PATH,
  completeAuthorization,
  exchangeCode,
  OAuthError,
  startAuthorization,
  type TokenParams,
} from "../services/oauth_flow.ts";
import { OidcError } from "../services/oidc_client.ts";
import { describeError } from "../trpc/error_body.ts";
import { readBodyLimited } from "./body.ts";
import { edgeErrorResponses } from "./openapi.ts";
import { errorResponse, json } from "./responses.ts";
import type { CustomRoute } from "./rest.ts";

/** The cookie that binds a sign-in in flight to the browser that started it. */
const COOKIE = "vestibule_oauth";

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A refusal that must not redirect (no trusted `redirect_uri`): a small HTML page for a browser,
 * the usual `{detail, code}` JSON for anything else, never a `Location`.
 */
function refusal(request: Request, error: unknown): Response {
  const described = describeError(error);
  if (!/text\/html/i.test(request.headers.get("accept") ?? "")) return errorResponse(described);
  const detail = escape(String((described.body as { detail: string }).detail));
  return new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title>` +
      `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
      `<body style="font-family:sans-serif;max-width:560px;margin:3rem auto">` +
      `<h1>Sign-in failed</h1><p>${detail}</p></body></html>`,
    {
      status: described.status,
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        ...(described.retryAfterSeconds === undefined
          ? {}
          : { "retry-after": String(described.retryAfterSeconds) }),
      },
    },
  );
}

function redirect(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, {
    status: 302,
    headers: { location, "cache-control": "no-store", ...headers },
  });
}

function cookie(config: Config, value: string, maxAge: number): string {
  const secure = config.publicUrl.startsWith("https:") ? "; Secure" : "";
  return `${COOKIE}=${value}; Path=${CALLBACK_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure}`;
}

function readCookie(request: Request): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === COOKIE) return rest.join("=");
  }
  return undefined;
}

const AUTHORIZE_PARAMS = [
  "redirect_uri",
  "state",
  "code_challenge",
  "code_challenge_method",
  "response_type",
  "link_ticket",
] as const;

/** `GET /auth/oauth/google/authorize`: step 1 → 2 (see `startAuthorization`). */
function authorizeRoute(config: Config): CustomRoute {
  return {
    method: "GET",
    path: "/auth/oauth/google/authorize",
    handle: async ({ request, ctx }) => {
      const url = new URL(request.url);
      const params: AuthorizeParams = {};
      for (const name of AUTHORIZE_PARAMS) {
        const values = url.searchParams.getAll(name);
        if (values.length > 1) {
          return refusal(request, new DomainError("VALIDATION_ERROR", `${name} given twice`));
        }
        if (values.length === 1) params[name] = values[0];
      }
      try {
        const started = await startAuthorization(ctx.deps, params, ctx.meta);
        return redirect(started.providerUrl, {
          "set-cookie": cookie(config, started.browserToken, started.maxAgeSeconds),
        });
      } catch (error) {
        // Past the redirect_uri check, errors go back to the app (RFC 6749 §4.1.2.1).
        const oauth = error instanceof OAuthError
          ? error
          : error instanceof OidcError
          ? new OAuthError(
            "temporarily_unavailable",
            "Google could not be reached; try again later",
          )
          : undefined;
        if (oauth === undefined || params.redirect_uri === undefined) {
          return refusal(request, oauth ? new DomainError("OAUTH_UNAVAILABLE") : error);
        }
        return redirect(appRedirect(config, params.redirect_uri, {
          error: oauth.error,
          error_description: oauth.description,
          state: params.state,
        }));
      }
    },
  };
}

/** `GET /auth/oauth/google/callback`: step 3 (see `completeAuthorization`). */
function callbackRoute(config: Config): CustomRoute {
  return {
    method: "GET",
    path: "/auth/oauth/google/callback",
    handle: async ({ request, ctx }) => {
      // The URL the provider was told, whatever host or proxy the request came through.
      const url = new URL(`${config.publicUrl}${CALLBACK_PATH}${new URL(request.url).search}`);
      const clear = { "set-cookie": cookie(config, "", 0) };
      try {
        const location = await completeAuthorization(ctx.deps, url, readCookie(request), ctx.meta);
        return redirect(location, clear);
      } catch (error) {
        const response = refusal(request, error);
        response.headers.set("set-cookie", clear["set-cookie"]);
        return response;
      }
    },
  };
}

/** Reads the token request: form-encoded (RFC 6749 §4.1.3) or JSON. */
async function readTokenParams(request: Request, maxBodyBytes: number): Promise<TokenParams> {
  const bytes = await readBodyLimited(request, maxBodyBytes);
  const type = request.headers.get("content-type") ?? "";
  const text = new TextDecoder().decode(bytes);
  let entries: [string, unknown][];
  if (/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    const form = new URLSearchParams(text);
    for (const key of new Set(form.keys())) {
      if (form.getAll(key).length > 1) {
        throw new OAuthError("invalid_request", `${key} given twice`);
      }
    }
    entries = [...form.entries()];
  } else if (/^application\/(.+\+)?json\s*(;|$)/i.test(type)) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new OAuthError("invalid_request", "Malformed JSON body");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new OAuthError("invalid_request", "The body must be a JSON object");
    }
    entries = Object.entries(body);
  } else {
    throw new OAuthError(
      "invalid_request",
      "Content-Type must be application/x-www-form-urlencoded or application/json",
    );
  }
  const params: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (typeof value !== "string") {
      throw new OAuthError("invalid_request", `${key} must be a string`);
    }
    params[key] = value;
  }
  return params;
}

/**
 * The token endpoint's error body: RFC 6749 §5.2 `{error, error_description}` so stock OAuth
 * clients understand it, plus the `{detail, code}` every other Vestibule error carries.
 */
function oauthErrorResponse(error: OAuthError): Response {
  return json(
    {
      error: error.error,
      error_description: error.description,
      detail: error.description,
      code: error.error.toUpperCase(),
    },
    error.status,
    { "cache-control": "no-store", pragma: "no-cache" },
  );
}

/** `POST /auth/oauth/token`: step 4 (see `exchangeCode`). */
function tokenRoute(config: Config): CustomRoute {
  return {
    method: "POST",
    path: "/auth/oauth/token",
    handle: async ({ request, ctx }) => {
      try {
        const params = await readTokenParams(request, config.maxBodyBytes);
        const signedIn = await exchangeCode(ctx.deps, params, ctx.meta);
        return json(signedIn, 200, { "cache-control": "no-store", pragma: "no-cache" });
      } catch (error) {
        if (error instanceof OAuthError) return oauthErrorResponse(error);
        if (error instanceof DomainError && error.status < 500) {
          return oauthErrorResponse(new OAuthError("invalid_request", error.message, error.status));
        }
        throw error;
      }
    },
  };
}

/** The OAuth routes the edge serves itself (redirects, cookies, form bodies). */
export function oauthRoutes(config: Config): CustomRoute[] {
  return [authorizeRoute(config), callbackRoute(config), tokenRoute(config)];
}

/** `GET /.well-known/oauth-authorization-server` (RFC 8414), served at the root. */
export function serveAuthorizationServerMetadata(config: Config): Response {
  return json(authorizationServerMetadata(config));
}

const redirectResponse = (description: string) => ({
  description,
  headers: {
    Location: {
      description: "Where the browser goes next",
      schema: { type: "string" as const },
    },
  },
});

const stringParam = (
  name: string,
  description: string,
  required = false,
) => ({ name, in: "query" as const, required, description, schema: { type: "string" as const } });

/**
 * Their operations, as documented in `openapi.json`. The RFC 8414 metadata at
 * `/.well-known/oauth-authorization-server` lives outside `/api/v1` and is described by its RFC.
 */
export const oauthOpenApi: Record<string, unknown> = {
  "/auth/oauth/google/authorize": {
    get: {
      operationId: "oauth-authorize",
      summary: "Sign in with Google (step 1: the app sends the browser here)",
      description: "OAuth 2.1 authorization request with PKCE. `redirect_uri` must be one of " +
        "`OAUTH_REDIRECT_URIS` (any port for `http://127.0.0.1`, RFC 8252); otherwise the answer " +
        "is a 400 page and nothing is redirected. Redirects to Google with Vestibule's own " +
        "state, nonce and PKCE pair, bound to this browser by a short-lived cookie. Other " +
        "errors go back to `redirect_uri` as `error`/`error_description`.",
      tags: ["auth"],
      security: [],
      parameters: [
        stringParam("redirect_uri", "The app's redirect URI, exactly as registered"),
        stringParam("state", "The app's own state, handed back unchanged"),
        stringParam("code_challenge", "base64url(SHA-256(code_verifier)), 43 characters"),
        stringParam("code_challenge_method", "Must be `S256`"),
        stringParam("response_type", "`code` (optional)"),
        stringParam("link_ticket", "From POST /users/me/identities/google, instead of the rest"),
      ],
      responses: {
        "302": redirectResponse("To Google, or back to the app with an error"),
        ...edgeErrorResponses(["INVALID_REDIRECT_URI", "OAUTH_NOT_CONFIGURED"]),
      },
    },
  },
  "/auth/oauth/google/callback": {
    get: {
      operationId: "oauth-callback",
      summary: "Sign in with Google (step 3: Google sends the browser back here)",
      description:
        "Checks the state and this browser's cookie, redeems Google's code, verifies the ID " +
        "token, applies the linking rules and redirects to the app's `redirect_uri` with a " +
        "one-time `code` (60 s), the app's `state` and `iss` (RFC 9207); or with `error` and " +
        "`error_description` (`account_exists`, `access_denied`, `temporarily_unavailable`, " +
        "`identity_in_use`, `already_linked`). A link answers `linked=google`.",
      tags: ["auth"],
      security: [],
      parameters: [
        stringParam("state", "Vestibule's state, as sent to Google"),
        stringParam("code", "Google's authorization code"),
      ],
      responses: {
        "302": redirectResponse("Back to the app"),
        ...edgeErrorResponses(["INVALID_OAUTH_STATE"]),
      },
    },
  },
  "/auth/oauth/token": {
    post: {
      operationId: "oauth-token",
      summary: "Sign in with Google (step 4: exchange the code)",
      description: "Exchanges the one-time code for the usual token pair and profile " +
        "(`Cache-Control: no-store`). Errors follow RFC 6749 §5.2 (`error`, " +
        "`error_description`) and also carry `detail` and `code`. A code presented twice " +
        "revokes the session its first exchange opened.",
      tags: ["auth"],
      security: [],
      requestBody: {
        required: true,
        content: Object.fromEntries(
          ["application/x-www-form-urlencoded", "application/json"].map((type) => [type, {
            schema: {
              type: "object" as const,
              required: ["grant_type", "code", "code_verifier", "redirect_uri"],
              properties: {
                grant_type: { type: "string" as const, const: "authorization_code" },
                code: { type: "string" as const },
                code_verifier: { type: "string" as const },
                redirect_uri: { type: "string" as const },
                client_id: { type: "string" as const, description: "Accepted and ignored" },
              },
            },
          }]),
        ),
      },
      responses: {
        "200": {
          description: "Signed in",
          content: {
            "application/json": { schema: { $ref: "#/components/schemas/SignedIn" } },
          },
        },
        // Each body also carries RFC 6749's `error` and `error_description` (see above).
        ...edgeErrorResponses(["INVALID_REQUEST", "INVALID_GRANT", "UNSUPPORTED_GRANT_TYPE"]),
      },
    },
  },
};
