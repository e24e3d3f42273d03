import { writeTransaction } from "../data/transactions.ts";
import type { Db } from "../data/database.ts";
import {
  findLiveSessionUser,
  findRefreshToken,
  insertRefreshToken,
  isRefreshTokenUnspent,
  listLiveSessions,
  refreshTokenInsert,
  revokeSessions,
  sessionInsert,
  spendRefreshToken,
  touchSession,
} from "../data/sessions.ts";
import type { Deps } from "../deps.ts";
import { audit, type RequestMeta } from "./audit.ts";
import { commitChange } from "./change.ts";
import { DomainError } from "./errors.ts";
import { type Profile, toProfile } from "./profile.ts";
import { generateOpaqueToken, hashToken, openWithToken, sealWithToken } from "./tokens.ts";

/** What sign-in, sign-up and refresh hand back. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

/** The caller of an authenticated request. */
export interface Authenticated {
  sessionId: string;
  userId: string;
  role: "member" | "admin";
  profile: Profile;
}

/** A session as its owner sees it. */
export interface SessionView {
  id: string;
  user_agent: string | null;
  ip_address: string | null;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  current: boolean;
}

/** How stale `last_used_at` may get before an authenticated request writes it again. */
const LAST_USED_RESOLUTION_MS = 60_000;

function addSeconds(at: Date, seconds: number): string {
  return new Date(at.getTime() + seconds * 1000).toISOString();
}

function tokenPair(deps: Deps, userId: string, sessionId: string, refreshToken: string, now: Date) {
  return {
    access_token: deps.accessTokens.issue(userId, sessionId, now),
    refresh_token: refreshToken,
    token_type: "Bearer" as const,
    expires_in: deps.accessTokens.ttlSeconds,
  };
}

/**
 * A new session (a refresh-token family) for a member and its first token pair, not yet stored:
 * `writes` are the statements that store it (the refresh token only as its SHA-256), built on
 * `db`, for the caller's transaction or a `CommitThread` batch.
 */
export function newSession(deps: Deps, db: Db, userId: string, meta: RequestMeta) {
  const now = deps.clock.now();
  const sessionId = crypto.randomUUID();
  const refreshToken = generateOpaqueToken();
  const expiresAt = addSeconds(now, deps.config.refreshTokenTtlSeconds);
  const writes = [
    sessionInsert(db, {
      id: sessionId,
      user_id: userId,
      user_agent: meta.userAgent?.slice(0, 512) ?? null,
      ip_address: meta.ip,
      created_at: now.toISOString(),
      last_used_at: now.toISOString(),
      expires_at: expiresAt,
      revoked_at: null,
      revoked_reason: null,
    }),
    refreshTokenInsert(db, {
      session_id: sessionId,
      token_hash: hashToken(refreshToken),
      created_at: now.toISOString(),
      expires_at: expiresAt,
    }),
  ];
  return { writes, sessionId, pair: tokenPair(deps, userId, sessionId, refreshToken, now) };
}

/**
 * Opens a new session for a member inside the caller's transaction and returns its first token
 * pair (see `newSession`).
 */
export async function startSession(
  deps: Deps,
  trx: Db,
  userId: string,
  meta: RequestMeta,
): Promise<TokenPair> {
  const { writes, pair } = newSession(deps, trx, userId, meta);
  for (const write of writes) await write.execute();
  return pair;
}

/**
 * Exchanges a refresh token for a new pair. The presented token is spent; its successor is
 * stored as a hash, and sealed under a key only the presented token derives.
 *
 * - Two concurrent refreshes of one token never both mint a successor, on one instance or
 *   several: the read and the conditional update run in one write transaction, and write
 *   transactions run one at a time (`writeTransaction`).
 * - Replaying the immediate parent of the live token within `REFRESH_REUSE_INTERVAL` returns the
 *   same successor (two tabs refreshing at once both stay signed in).
 * - Any other replay of a spent token revokes the whole session and is audited.
 * @throws {DomainError} `INVALID_REFRESH_TOKEN`, `RATE_LIMITED`
 */
export async function refreshSession(
  deps: Deps,
  refreshToken: string,
  meta: RequestMeta,
): Promise<TokenPair> {
  const now = deps.clock.now();
  await deps.rateLimiter.consume(`refresh:${meta.ip}`, deps.config.rateLimits.refreshPerIp, now);
  const outcome = await writeTransaction(deps.db, async (trx) => {
    const token = await findRefreshToken(trx, hashToken(refreshToken));
    const nowIso = now.toISOString();
    if (
      token === undefined || token.session_revoked_at !== null || token.expires_at <= nowIso ||
      token.session_expires_at <= nowIso
    ) return { kind: "invalid" as const };

    if (token.spent_at === null) {
      const successor = generateOpaqueToken();
      const expiresAt = addSeconds(now, deps.config.refreshTokenTtlSeconds);
      const successorId = await insertRefreshToken(trx, {
        session_id: token.session_id,
        token_hash: hashToken(successor),
        created_at: nowIso,
        expires_at: expiresAt,
      });
      const sealed = await sealWithToken(refreshToken, successor);
      if (!await spendRefreshToken(trx, token.id, nowIso, { id: successorId, sealed })) {
        throw new Error("refresh token spent concurrently inside a serialized transaction");
      }
      await touchSession(trx, token.session_id, {
        last_used_at: nowIso,
        expires_at: expiresAt,
        ip_address: meta.ip,
        user_agent: meta.userAgent?.slice(0, 512) ?? null,
      });
      return {
        kind: "rotated" as const,
        userId: token.user_id,
        sessionId: token.session_id,
        successor,
      };
    }

    const withinWindow = now.getTime() - Date.parse(token.spent_at) <
      deps.config.refreshReuseIntervalSeconds * 1000;
    if (
      withinWindow && token.successor_id !== null && token.successor_sealed !== null &&
      await isRefreshTokenUnspent(trx, token.successor_id)
    ) {
      const successor = await openWithToken(refreshToken, token.successor_sealed);
      if (successor !== null) {
        return {
          kind: "rotated" as const,
          userId: token.user_id,
          sessionId: token.session_id,
          successor,
        };
      }
    }

    await revokeSessions(trx, token.user_id, nowIso, "refresh_token_reuse", {
      only: token.session_id,
    });
    await audit(trx, "refresh_token.reused", token.user_id, meta, now, {
      session_id: token.session_id,
    });
    return { kind: "reused" as const };
  });
  if (outcome.kind !== "rotated") throw new DomainError("INVALID_REFRESH_TOKEN");
  return tokenPair(deps, outcome.userId, outcome.sessionId, outcome.successor, now);
}

/**
 * Ends the session a refresh token belongs to (spent or not: it names the family).
 * @throws {DomainError} `INVALID_REFRESH_TOKEN` when the token is unknown or its session is over
 */
export async function logout(deps: Deps, refreshToken: string, meta: RequestMeta): Promise<void> {
  const now = deps.clock.now();
  const revoked = await writeTransaction(deps.db, async (trx) => {
    const token = await findRefreshToken(trx, hashToken(refreshToken));
    if (token === undefined || token.session_revoked_at !== null) return false;
    await revokeSessions(trx, token.user_id, now.toISOString(), "logout", {
      only: token.session_id,
    });
    await audit(trx, "session.revoked", token.user_id, meta, now, {
      session_id: token.session_id,
      reason: "logout",
    });
    return true;
  });
  if (!revoked) throw new DomainError("INVALID_REFRESH_TOKEN");
}

/**
 * Resolves a bearer access token to its member, checking that the session is still live, so a
 * revoked session stops working on its next request. One indexed read; `last_used_at` is written
 * at most once a minute per session.
 * @throws {DomainError} `NOT_AUTHENTICATED` without a token, `INVALID_ACCESS_TOKEN` otherwise
 */
export async function authenticate(
  deps: Deps,
  authorization: string | null,
): Promise<Authenticated> {
  if (authorization === null || authorization === "") throw new DomainError("NOT_AUTHENTICATED");
  const match = /^Bearer +(\S+)$/i.exec(authorization);
  if (match === null) throw new DomainError("INVALID_ACCESS_TOKEN");
  const now = deps.clock.now();
  const claims = deps.accessTokens.verify(match[1], now);
  if (claims === null) throw new DomainError("INVALID_ACCESS_TOKEN");
  const nowIso = now.toISOString();
  const row = await findLiveSessionUser(deps.db, claims.sid, nowIso);
  if (row === undefined || row.id !== claims.sub) throw new DomainError("INVALID_ACCESS_TOKEN");
  if (now.getTime() - Date.parse(row.session_last_used_at) > LAST_USED_RESOLUTION_MS) {
    await touchSession(deps.db, claims.sid, { last_used_at: nowIso });
  }
  return { sessionId: claims.sid, userId: row.id, role: row.role, profile: toProfile(row) };
}

/** The member's live sessions, the caller's own marked `current`. */
export async function listSessions(deps: Deps, auth: Authenticated): Promise<SessionView[]> {
  const rows = await listLiveSessions(deps.db, auth.userId, deps.clock.now().toISOString());
  return rows.map((s) => ({
    id: s.id,
    user_agent: s.user_agent,
    ip_address: s.ip_address,
    created_at: s.created_at,
    last_used_at: s.last_used_at,
    expires_at: s.expires_at,
    current: s.id === auth.sessionId,
  }));
}

/**
 * Revokes one of the member's own sessions (the current one included); it stops working at once.
 * @throws {DomainError} `SESSION_NOT_FOUND` for an unknown, foreign or already revoked session
 */
export async function revokeSession(
  deps: Deps,
  auth: Authenticated,
  sessionId: string,
  meta: RequestMeta,
): Promise<void> {
  const now = deps.clock.now();
  const revoked = await writeTransaction(deps.db, async (trx) => {
    const ids = await revokeSessions(trx, auth.userId, now.toISOString(), "revoked_by_user", {
      only: sessionId,
    });
    if (ids.length === 0) return false;
    await audit(trx, "session.revoked", auth.userId, meta, now, {
      session_id: sessionId,
      reason: "revoked_by_user",
    });
    return true;
  });
  if (!revoked) throw new DomainError("SESSION_NOT_FOUND");
}

/** Revokes every session of the member, the current one included; returns how many. */
export async function revokeAllSessions(
  deps: Deps,
  auth: Authenticated,
  meta: RequestMeta,
): Promise<number> {
  const now = deps.clock.now();
  return await commitChange(deps, async (trx, events) => {
    const ids = await revokeSessions(trx, auth.userId, now.toISOString(), "logout_all");
    await audit(trx, "sessions.revoked_all", auth.userId, meta, now, { count: ids.length });
    await events.webhook("user.sessions_revoked", {
      user_id: auth.userId,
      reason: "logout_all",
      count: ids.length,
    });
    return ids.length;
  });
}
