import type { Db } from "../data/database.ts";
import { findAddressReservation } from "../data/email_tokens.ts";
import { findUserByEmail } from "../data/users.ts";

/**
 * Whether `email` may become the address of an account (a new one, or `userId`'s): no account
 * holds it, and no other member's "this wasn't me" link can still restore it. That reservation
 * lasts the link's 7 days, so whoever moved a member off an address cannot block the way back by
 * registering it at once.
 */
export async function isAddressAvailable(
  db: Db,
  email: string,
  now: Date,
  userId?: string,
): Promise<boolean> {
  if (await findUserByEmail(db, email)) return false;
  const reservedBy = await findAddressReservation(db, email, now.toISOString());
  return reservedBy === undefined || reservedBy === userId;
}
