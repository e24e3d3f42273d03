import type { Db, EmailTokenPurpose } from "../data/database.ts";
import type { Deps } from "../deps.ts";
import type { RenderedMail } from "../mail/templates.ts";
import { issueEmailToken } from "./email_tokens.ts";

/**
 * Issues a single-use token for `purpose` and enqueues, in the caller's transaction, the mail
 * whose link carries it (the template leaves `{{secret}}` where the token goes). The member's
 * earlier unused tokens of the same purpose stop working.
 */
export async function enqueueLinkMail(
  deps: Deps,
  trx: Db,
  link: {
    userId: string;
    purpose: EmailTokenPurpose;
    to: string;
    now: Date;
    mail: RenderedMail;
    /** For an email change: the address the token moves the account to (or, reverting, back to). */
    newEmail?: string;
    /** The outbox row's kind; the purpose when not given. */
    kind?: string;
  },
): Promise<void> {
  const token = await issueEmailToken(trx, link.userId, link.purpose, link.now, link.newEmail);
  await deps.outbox.enqueue(trx, {
    userId: link.userId,
    kind: link.kind ?? link.purpose,
    to: link.to,
    secret: token,
    ...link.mail,
  });
}
