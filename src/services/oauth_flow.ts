import { writeTransaction } from "../data/transactions.ts";
import { commitChange } from "./change.ts";
import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import type { Config } from "../config.ts";
import type { OAuthStateRow } from "../data/database.ts";
import {
  deleteExpiredOAuthRows,
  findOAuthCode,
  insertOAuthCode,
  insertOAuthState,
  setOAuthCodeSession,
  spendOAuthCode,
  takeOAuthState,
} from "../data/oauth.ts";
import { revokeSessions } from "../data/sessions.ts";
import { findUserById } from "../data/users.ts";
import type { Deps } from "../deps.ts";
import type { SignedIn } from "./accounts.ts";
import { restoreAccount } from "./account_deletion.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { DomainError } from "./errors.ts";
import { LinkRefused, linkToMember, resolveSignIn } from "./identities.ts";
import { OidcError } from "./oidc_client.ts";
import { toProfile } from "./profile.ts";
import { type Authenticated, newSession } from "./sessions.ts";
import { generateOpaqueToken, hashToken, openWithToken, sealWithToken } from "./tokens.ts";

/** Where the provider sends the browser back, under `PUBLIC_URL`. */
export const CALLBACK_PATH = "/api/v1/auth/oauth/google/callback";
export const AUTHORIZE_PATH = "/api/v1/auth/oauth/google/authorize";
export const TOKEN_PATH = "/api/v1/auth/oauth/token";

/** How long a sign-in may take at the provider, a link ticket may wait, and a code may live. */
const STATE_TTL_MS = 10 * 60_000;
const LINK_TICKET_TTL_MS = 5 * 60_000;
const CODE_TTL_MS = 60_000;

/**
 * An OAuth error answered to the app: at the token endpoint as `{error, error_description}`
 * (RFC 6749 §5.2), or on the app's `redirect_uri` (§4.1.2.1).
 */
export class OAuthError extends Error {
  override name = "OAuthError";
  constructor(readonly error: string, readonly description: string, readonly status = 400) {
    super(description);
  }
}

/**
 * Whether `uri` may receive codes: exactly one of `OAUTH_REDIRECT_URIS`, or, for native apps
 * (RFC 8252 §7.3), a loopback `http://127.0.0.1` or `http://[::1]` URI that matches a registered
 * one in everything but the port.
 */
export function isRegisteredRedirectUri(config: Pick<Config, "oauthRedirectUris">, uri: string) {
  if (config.oauthRedirectUris.includes(uri)) return true;
  let candidate: URL;
  try {
    candidate = new URL(uri);
  } catch {
    return false;
  }
  if (!isLoopback(candidate) || uri.includes("#")) return false;
  const portless = (url: URL) => {
    const copy = new URL(url);
    copy.port = "";
    return copy.href;
  };
  return config.oauthRedirectUris.some((registered) => {
    const url = new URL(registered);
    return isLoopback(url) && url.hostname === candidate.hostname &&
      portless(url) === portless(candidate);
  });
}

function isLoopback(url: URL): boolean {
  return url.protocol === "http:" && (url.hostname === "127.0.0.1" || url.hostname === "[::1]");
}

/** The issuer identifier of Vestibule's own authorization server (RFC 8414, RFC 9207 `iss`). */
export function ownIssuer(config: Pick<Config, "publicUrl">): string {
  return config.publicUrl;
}

/** The RFC 8414 metadata of Vestibule's authorization server. */
export function authorizationServerMetadata(config: Pick<Config, "publicUrl">) {
  const issuer = ownIssuer(config);
  return {
    issuer,
    authorization_endpoint: `${issuer}${AUTHORIZE_PATH}`,
    token_endpoint: `${issuer}${TOKEN_PATH}`,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none"],
    authorization_response_iss_parameter_supported: true,
  };
}

/** The app's URL with `params` added: how every answer of the flow reaches the app. */
export function appRedirect(
  config: Pick<Config, "publicUrl">,
  redirectUri: string,
  params: Record<string, string | null | undefined>,
): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) url.searchParams.set(key, value);
  }
  url.searchParams.set("iss", ownIssuer(config));
  return url.href;
}

/** What the edge does with a started sign-in: send the browser on, with the binding cookie. */
export interface StartedAuthorization {
  providerUrl: string;
  /** The cookie value binding the flow to this browser (only its hash is stored). */
  browserToken: string;
  maxAgeSeconds: number;
}

/** The parameters of `GET /auth/oauth/google/authorize`. */
export interface AuthorizeParams {
  redirect_uri?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  response_type?: string;
  link_ticket?: string;
}

const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

function requireOidc(deps: Deps) {
  if (deps.oidc === undefined) throw new DomainError("OAUTH_NOT_CONFIGURED");
  return deps.oidc;
}

/**
 * Step 1 → 2: checks the app's request and starts a sign-in (or a link, from a ticket) at the
 * provider with Vestibule's own state, nonce and PKCE verifier. The state is stored as a hash;
 * nonce and verifier are sealed under the browser token the cookie carries, so the flow finishes
 * only in this browser and the database alone cannot finish it.
 * @throws {DomainError} `INVALID_REDIRECT_URI` (never redirected), `VALIDATION_ERROR` (a spent or
 *   expired link ticket), `OAUTH_NOT_CONFIGURED`, `RATE_LIMITED` (`RATE_LIMIT_LOGIN_PER_IP`)
 * @throws {OAuthError} for a bad request with a valid `redirect_uri` (sent back to the app)
 * @throws {OidcError} `unavailable` when the provider cannot be discovered
 */
export async function startAuthorization(
  deps: Deps,
  params: AuthorizeParams,
  meta: RequestMeta,
): Promise<StartedAuthorization> {
  const oidc = requireOidc(deps);
  const now = deps.clock.now();
  // Each start stores a row: counted per client address like password sign-ins.
  await deps.rateLimiter.consume(
    `oauth-authorize:${meta.ip}`,
    deps.config.rateLimits.loginPerIp,
    now,
  );
  let base: Pick<
    OAuthStateRow,
    "redirect_uri" | "app_state" | "code_challenge" | "purpose" | "user_id"
  >;
  if (params.link_ticket !== undefined) {
    const ticket = await takeOAuthState(deps.db, hashToken(params.link_ticket));
    if (
      ticket === undefined || ticket.purpose !== "link" || ticket.browser_hash !== null ||
      ticket.expires_at <= now.toISOString()
    ) {
      throw new DomainError(
        "VALIDATION_ERROR",
        "This link has expired: start again from your account",
      );
    }
    base = ticket;
  } else {
    const redirectUri = params.redirect_uri;
    if (redirectUri === undefined || !isRegisteredRedirectUri(deps.config, redirectUri)) {
      throw new DomainError("INVALID_REDIRECT_URI");
    }
    if (params.response_type !== undefined && params.response_type !== "code") {
      throw new OAuthError("unsupported_response_type", "response_type must be code");
    }
    if (params.code_challenge_method !== "S256") {
      throw new OAuthError("invalid_request", "code_challenge_method must be S256");
    }
    if (params.code_challenge === undefined || !CODE_CHALLENGE.test(params.code_challenge)) {
      throw new OAuthError(
        "invalid_request",
        "code_challenge must be a base64url SHA-256 (43 characters)",
      );
    }
    if (params.state !== undefined && params.state.length > 1024) {
      throw new OAuthError("invalid_request", "state must be at most 1024 characters");
    }
    base = {
      redirect_uri: redirectUri,
      app_state: params.state ?? null,
      code_challenge: params.code_challenge,
      purpose: "login",
      user_id: null,
    };
  }
  const state = generateOpaqueToken();
  const nonce = generateOpaqueToken();
  const codeVerifier = generateOpaqueToken();
  const browserToken = generateOpaqueToken();
  const providerUrl = await oidc.authorizationUrl({
    redirectUri: `${deps.config.publicUrl}${CALLBACK_PATH}`,
    state,
    nonce,
    codeVerifier,
  });
  await writeTransaction(deps.db, async (trx) => {
    await deleteExpiredOAuthRows(trx, new Date(now.getTime() - CODE_TTL_MS).toISOString());
    await insertOAuthState(trx, {
      ...base,
      id: crypto.randomUUID(),
      state_hash: hashToken(state),
      browser_hash: hashToken(browserToken),
      nonce_sealed: await sealWithToken(browserToken, nonce),
      verifier_sealed: await sealWithToken(browserToken, codeVerifier),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + STATE_TTL_MS).toISOString(),
    });
  });
  return { providerUrl: providerUrl.href, browserToken, maxAgeSeconds: STATE_TTL_MS / 1000 };
}

/**
 * Starts linking the provider to a signed-in member: a single-use ticket (5 minutes) in an
 * authorize URL the app opens in the browser. The bearer token never travels in a URL.
 * @throws {DomainError} `INVALID_REDIRECT_URI`, `OAUTH_NOT_CONFIGURED`
 */
export async function startLink(
  deps: Deps,
  auth: Authenticated,
  input: { redirect_uri: string; state?: string },
): Promise<{ authorize_url: string; expires_in: number }> {
  requireOidc(deps);
  if (!isRegisteredRedirectUri(deps.config, input.redirect_uri)) {
    throw new DomainError("INVALID_REDIRECT_URI");
  }
  const now = deps.clock.now();
  const ticket = generateOpaqueToken();
  await insertOAuthState(deps.db, {
    id: crypto.randomUUID(),
    state_hash: hashToken(ticket),
    browser_hash: null,
    nonce_sealed: null,
    verifier_sealed: null,
    redirect_uri: input.redirect_uri,
    app_state: input.state ?? null,
    code_challenge: null,
    purpose: "link",
    user_id: auth.userId,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + LINK_TICKET_TTL_MS).toISOString(),
  });
  const url = new URL(`${deps.config.publicUrl}${AUTHORIZE_PATH}`);
  url.searchParams.set("link_ticket", ticket);
  return { authorize_url: url.href, expires_in: LINK_TICKET_TTL_MS / 1000 };
}

/**
 * Step 3: the provider's answer. Checks the state and that this browser started the flow, redeems
 * the code (the ID token verified by `OidcClient.redeem`), applies the linking rules, and returns
 * where to send the browser: the app's `redirect_uri` with a one-time `code` (60 s, bound to the
 * app's `redirect_uri` and `code_challenge`) and its `state`, or with `error`/`error_description`;
 * always with `iss`. A link answers `linked=google` instead of a code.
 * @throws {DomainError} `INVALID_OAUTH_STATE` when the state is unknown, expired or was started
 *   in another browser: then no `redirect_uri` can be trusted, and nothing is redirected
 */
export async function completeAuthorization(
  deps: Deps,
  callbackUrl: URL,
  browserToken: string | undefined,
  meta: RequestMeta,
): Promise<string> {
  const oidc = requireOidc(deps);
  const now = deps.clock.now();
  const state = callbackUrl.searchParams.get("state");
  const row = state === null ? undefined : await takeOAuthState(deps.db, hashToken(state));
  if (
    state === null || row === undefined || row.browser_hash === null ||
    browserToken === undefined || row.expires_at <= now.toISOString() ||
    !constantTimeEqual(
      new TextEncoder().encode(row.browser_hash),
      new TextEncoder().encode(hashToken(browserToken)),
    )
  ) throw new DomainError("INVALID_OAUTH_STATE");
  const back = (params: Record<string, string | null>) =>
    appRedirect(deps.config, row.redirect_uri, { ...params, state: row.app_state });

  const providerError = callbackUrl.searchParams.get("error");
  if (providerError !== null) {
    return back({
      error: "access_denied",
      error_description: "Sign-in with Google was cancelled or refused",
    });
  }
  const nonce = await openWithToken(browserToken, row.nonce_sealed ?? "");
  const codeVerifier = await openWithToken(browserToken, row.verifier_sealed ?? "");
  if (nonce === null || codeVerifier === null) throw new DomainError("INVALID_OAUTH_STATE");

  let identity;
  try {
    identity = await oidc.redeem(callbackUrl, { state, nonce, codeVerifier }, now);
  } catch (error) {
    if (!(error instanceof OidcError)) throw error;
    deps.log.info({ msg: "oidc sign-in failed", kind: error.kind, reason: error.message });
    return back(
      error.kind === "unavailable"
        ? {
          error: "temporarily_unavailable",
          error_description: "Google could not be reached; try again later",
        }
        : {
          error: "access_denied",
          error_description: "Google's answer could not be verified",
        },
    );
  }

  try {
    if (row.purpose === "link") {
      await commitChange(deps, (trx) => linkToMember(deps, trx, row.user_id!, identity, meta, now));
      return back({ linked: "google" });
    }
    const code = generateOpaqueToken();
    await commitChange(deps, async (trx) => {
      const { userId } = await resolveSignIn(deps, trx, identity, meta, now);
      await insertOAuthCode(trx, {
        id: crypto.randomUUID(),
        code_hash: hashToken(code),
        user_id: userId,
        session_id: null,
        redirect_uri: row.redirect_uri,
        code_challenge: row.code_challenge!,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + CODE_TTL_MS).toISOString(),
        used_at: null,
      });
    });
    return back({ code });
  } catch (error) {
    if (error instanceof LinkRefused) {
      return back({ error: error.error, error_description: error.description });
    }
    throw error;
  }
}

/** The parameters of `POST /auth/oauth/token`. */
export interface TokenParams {
  grant_type?: string;
  code?: string;
  code_verifier?: string;
  redirect_uri?: string;
}

function pkceChallenge(verifier: string): string {
  return encodeBase64urlNoPadding(sha256(new TextEncoder().encode(verifier)));
}

/**
 * Step 4: exchanges a one-time code for a session (the usual token pair and the profile). The code
 * must be unused, unexpired, presented with the same `redirect_uri` and a `code_verifier` whose
 * S256 is the app's `code_challenge`; any failed attempt spends it. A code presented again revokes
 * the session its first exchange opened (RFC 6749 §4.1.2). Signing in cancels a pending deletion,
 * as a password sign-in does.
 * @throws {OAuthError} `invalid_request`, `unsupported_grant_type`, `invalid_grant`
 */
export async function exchangeCode(
  deps: Deps,
  params: TokenParams,
  meta: RequestMeta,
): Promise<SignedIn> {
  if (params.grant_type !== "authorization_code") {
    throw new OAuthError(
      params.grant_type === undefined ? "invalid_request" : "unsupported_grant_type",
      "grant_type must be authorization_code",
    );
  }
  for (const name of ["code", "code_verifier", "redirect_uri"] as const) {
    const value = params[name];
    if (typeof value !== "string" || value === "" || value.length > 2048) {
      throw new OAuthError("invalid_request", `${name} is required`);
    }
  }
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  const outcome = await commitChange(deps, async (trx) => {
    const code = await findOAuthCode(trx, hashToken(params.code!));
    if (code === undefined) {
      return { kind: "invalid" as const, reason: "Invalid authorization code" };
    }
    if (code.used_at !== null) {
      if (code.session_id !== null) {
        await revokeSessions(trx, code.user_id, nowIso, "oauth_code_reused", {
          only: code.session_id,
        });
      }
      await audit(trx, "oauth.code_reused", code.user_id, meta, now, {
        session_id: code.session_id,
      });
      return { kind: "invalid" as const, reason: "Authorization code already used" };
    }
    if (!await spendOAuthCode(trx, code.id, nowIso)) {
      return { kind: "invalid" as const, reason: "Authorization code already used" };
    }
    if (code.expires_at <= nowIso) {
      return { kind: "invalid" as const, reason: "Authorization code expired" };
    }
    if (code.redirect_uri !== params.redirect_uri) {
      return { kind: "invalid" as const, reason: "redirect_uri does not match" };
    }
    if (
      !CODE_VERIFIER.test(params.code_verifier!) ||
      !constantTimeEqual(
        new TextEncoder().encode(pkceChallenge(params.code_verifier!)),
        new TextEncoder().encode(code.code_challenge),
      )
    ) return { kind: "invalid" as const, reason: "code_verifier does not match" };

    const user = await findUserById(trx, code.user_id);
    if (
      user === undefined || (user.status === "pending_deletion" && user.deletion_date !== null &&
        user.deletion_date <= nowIso)
    ) return { kind: "invalid" as const, reason: "Invalid authorization code" };
    let cancelled = false;
    if (user.status === "pending_deletion") {
      await restoreAccount(deps, trx, user, meta, now, "sign_in");
      cancelled = true;
    }
    await audit(trx, "sign_in.succeeded", user.id, meta, now, { method: "oidc" });
    const { writes, pair, sessionId } = newSession(deps, trx, user.id, meta);
    for (const write of writes) await write.execute();
    await setOAuthCodeSession(trx, code.id, sessionId);
    const current = await findUserById(trx, user.id);
    const signedIn: SignedIn = { ...pair, user: toProfile(current!) };
    if (cancelled) signedIn.deletion_cancelled = true;
    return { kind: "signed_in" as const, signedIn };
  });
  if (outcome.kind === "invalid") throw new OAuthError("invalid_grant", outcome.reason);
  return outcome.signedIn;
}
