import type { Deps } from "../deps.ts";
import type { RequestMeta } from "./audit.ts";

/**
 * The guessing rule, shared by sign-in and by every password check behind a bearer token (email
 * change, password change, account deletion). Failed passwords are counted twice:
 *
 * - per (account, client address): `RATE_LIMIT_LOGIN_PER_ACCOUNT_IP` (5 per 15 minutes), so the
 *   address that is guessing is stopped quickly while the owner, signing in from an address that
 *   has not been failing, is not;
 * - per account, from every address: `RATE_LIMIT_LOGIN_PER_ACCOUNT` (100 per hour), which stops
 *   guessing spread over many addresses. Past it the account refuses password checks from
 *   everywhere until the window ends: the price of stopping a distributed attack.
 *
 * A correct password forgets the (account, address) count; the per-account count is never reset
 * early, so an owner signing in cannot launder an attacker's failures.
 */

/** The key an account is counted under: its id, or the address typed when there is no account. */
export function passwordAccountKey(user: { id: string } | undefined, email: string): string {
  return user === undefined ? `email:${email}` : `user:${user.id}`;
}

function keys(account: string, meta: RequestMeta) {
  return { pair: `pw-fail:${account}|${meta.ip}`, account: `pw-fail:${account}` };
}

/**
 * Refuses a password check that the guessing rule no longer allows; counts nothing. When both
 * counts are full, `Retry-After` is the later of the two. Returns this address's failures on the
 * account in the running window, for `recordPasswordSuccess`.
 * @throws {DomainError} `RATE_LIMITED` with `Retry-After`
 */
export async function assertPasswordAttemptAllowed(
  deps: Deps,
  account: string,
  meta: RequestMeta,
  now: Date,
): Promise<number> {
  const { loginPerAccountIp, loginPerAccount } = deps.config.rateLimits;
  const key = keys(account, meta);
  const [fromAddress] = await deps.rateLimiter.check([
    { key: key.pair, rule: loginPerAccountIp },
    { key: key.account, rule: loginPerAccount },
  ], now);
  return fromAddress;
}

/** Counts one wrong password against the account, from this address and in total. */
export async function recordPasswordFailure(
  deps: Deps,
  account: string,
  meta: RequestMeta,
  now: Date,
): Promise<void> {
  const { loginPerAccountIp, loginPerAccount } = deps.config.rateLimits;
  const key = keys(account, meta);
  await deps.rateLimiter.record(key.pair, loginPerAccountIp, now);
  await deps.rateLimiter.record(key.account, loginPerAccount, now);
}

/**
 * After a correct password: forgets this address's failures on the account (not the total).
 * `failuresFromAddress` is what `assertPasswordAttemptAllowed` returned: without any, there is
 * nothing to forget and nothing is written.
 */
export async function recordPasswordSuccess(
  deps: Deps,
  account: string,
  meta: RequestMeta,
  failuresFromAddress: number,
): Promise<void> {
  if (failuresFromAddress > 0) await deps.rateLimiter.reset(keys(account, meta).pair);
}

/**
 * Verifies the signed-in member's password under the guessing rule: refuses (429) before hashing
 * when the rule says so, counts a wrong password, forgets this address's failures on a right one.
 * `false` for a wrong password (or a member no longer there).
 * @throws {DomainError} `RATE_LIMITED`
 */
export async function verifyMemberPassword(
  deps: Deps,
  passwordHash: string | undefined,
  userId: string,
  password: string,
  meta: RequestMeta,
): Promise<boolean> {
  const now = deps.clock.now();
  const account = `user:${userId}`;
  const failures = await assertPasswordAttemptAllowed(deps, account, meta, now);
  const valid = passwordHash !== undefined && await deps.passwords.verify(passwordHash, password);
  if (valid) await recordPasswordSuccess(deps, account, meta, failures);
  else await recordPasswordFailure(deps, account, meta, now);
  return valid;
}
