import { findSessionStartedAt } from "../data/sessions.ts";
import { findPasswordHash, type UserRecord } from "../data/users.ts";
import type { Deps } from "../deps.ts";
import { DomainError } from "./errors.ts";
import type { RequestMeta } from "./audit.ts";
import { verifyMemberPassword } from "./password_attempts.ts";
import { hasPassword } from "./passwords.ts";
import type { Authenticated } from "./sessions.ts";

/** How recent a sign-in must be to stand in for a password (members without one). */
export const RECENT_SIGN_IN_MS = 10 * 60_000;

/**
 * Proves it is really the member before a sensitive change (email change, account deletion). A
 * member with a password must give it; a member without one (signed up through Google) must be on
 * a session opened within the last 10 minutes instead: a session's `created_at` is its sign-in,
 * which a refresh never moves. Passwords are checked under the guessing rule
 * (`verifyMemberPassword`): wrong ones count against the account as on sign-in.
 * @throws {DomainError} `VALIDATION_ERROR` (`password is required`), `INVALID_PASSWORD`,
 *   `RECENT_SIGN_IN_REQUIRED`, `RATE_LIMITED`
 */
export async function confirmItIsTheMember(
  deps: Deps,
  auth: Authenticated,
  user: UserRecord | undefined,
  password: string | undefined,
  meta: RequestMeta,
): Promise<UserRecord> {
  if (user === undefined) throw new DomainError("INVALID_PASSWORD");
  const passwordHash = await findPasswordHash(deps.db, user.id);
  if (passwordHash !== undefined && hasPassword(passwordHash)) {
    if (password === undefined) throw new DomainError("VALIDATION_ERROR", "password is required");
    if (!await verifyMemberPassword(deps, passwordHash, auth.userId, password, meta)) {
      throw new DomainError("INVALID_PASSWORD");
    }
    return user;
  }
  const startedAt = await findSessionStartedAt(deps.db, auth.sessionId);
  if (
    startedAt === undefined ||
    deps.clock.now().getTime() - Date.parse(startedAt) > RECENT_SIGN_IN_MS
  ) throw new DomainError("RECENT_SIGN_IN_REQUIRED");
  return user;
}
