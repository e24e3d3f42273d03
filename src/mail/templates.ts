/** What a template makes: the parts of a message. Links hold `{{secret}}` for their token. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The placeholder the outbox replaces with a link's token at delivery time. */
export const SECRET = "{{secret}}";

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(
  product: string,
  lines: string[],
  action?: { label: string; url: string },
): RenderedMail["html"] {
  const body = lines.map((line) => `<p>${escape(line)}</p>`).join("\n");
  const button = action
    ? `<p><a href="${
      escape(action.url)
    }" style="display:inline-block;padding:10px 16px;background:#1f6feb;color:#fff;text-decoration:none;border-radius:6px">${
      escape(action.label)
    }</a></p>
<p style="color:#555;font-size:13px">Or open this link: ${escape(action.url)}</p>`
    : "";
  return `<!doctype html><html><body style="font-family:sans-serif;max-width:560px">
<h2>${escape(product)}</h2>
${body}
${button}
</body></html>`;
}

function mail(
  product: string,
  subject: string,
  lines: string[],
  action?: { label: string; url: string },
): RenderedMail {
  const text = [
    ...lines,
    ...(action ? ["", `${action.label}: ${action.url}`] : []),
    "",
    `— ${product}`,
  ]
    .join("\n");
  return { subject: `${product}: ${subject}`, text, html: layout(product, lines, action) };
}

const NOT_YOU = "If this was not you, reset your password at once and sign out every session.";

/** The link, to a page of `linkBase`, that carries a token. */
export function tokenLink(linkBase: string, page: string): string {
  return `${linkBase}/${page}?token=${SECRET}`;
}

/** The messages Vestibule sends, one function each. */
export const templates = {
  verifyEmail: (product: string, linkBase: string) =>
    mail(product, "confirm your email address", [
      "Welcome! Confirm that this address is yours to finish setting up your account.",
      "The link works once and expires in 24 hours. If you did not sign up, ignore this message.",
    ], { label: "Confirm email address", url: tokenLink(linkBase, "verify-email") }),

  confirmEmailChange: (product: string, linkBase: string, newEmail: string) =>
    mail(product, "confirm your new email address", [
      `Someone asked to change the email address of a ${product} account to ${newEmail}.`,
      "Confirm it to make the change. The link works once and expires in 24 hours.",
      "If this was not you, ignore this message: nothing changes.",
    ], { label: "Confirm new address", url: tokenLink(linkBase, "confirm-email-change") }),

  emailChanged: (product: string, linkBase: string, newEmail: string) =>
    mail(product, "your email address was changed", [
      `The email address of your ${product} account was changed to ${newEmail}.`,
      "You will receive messages there from now on.",
      "If this was not you, use the button below within 7 days: it gives your account this address back, signs out every session and sends a link here to choose a new password.",
    ], { label: "This wasn't me", url: tokenLink(linkBase, "revert-email-change") }),

  emailChangeReverted: (product: string, linkBase: string, email: string) =>
    mail(product, "your email address was restored", [
      `Your ${product} account has its email address ${email} back. Every session was signed out, and the password no longer works.`,
      'Choose a new password now with the button below. The link works once and expires in 1 hour; after that, ask for a new one with "Forgot password".',
    ], { label: "Choose a new password", url: tokenLink(linkBase, "reset-password") }),

  resetPassword: (product: string, linkBase: string) =>
    mail(product, "reset your password", [
      "Someone asked to reset the password of your account.",
      "The link works once and expires in 1 hour. If you did not ask, ignore this message: your password stays as it is.",
    ], { label: "Choose a new password", url: tokenLink(linkBase, "reset-password") }),

  deletionScheduled: (product: string, linkBase: string, deletionDate: string) =>
    mail(product, "your account will be deleted", [
      `Your ${product} account is scheduled for deletion on ${
        deletionDate.slice(0, 10)
      } (${deletionDate}).`,
      "Every session was signed out. Until that date you can change your mind: sign in again, or use the button below.",
      "After it, your profile, sessions, pictures, credits and jobs are deleted for good; the financial record is kept for audit without your name or address.",
    ], { label: "Keep my account", url: tokenLink(linkBase, "cancel-deletion") }),

  deletionCancelled: (product: string) =>
    mail(product, "your account will not be deleted", [
      `The deletion of your ${product} account was cancelled. Your account is active again.`,
      NOT_YOU,
    ]),

  accountPurged: (product: string) =>
    mail(product, "your account has been deleted", [
      `As you asked, your ${product} account and everything personal in it have now been deleted.`,
      "The financial record of your transactions is kept for audit, without your name or email address. This is the last message you will receive from us.",
    ]),

  webhookDisabled: (product: string, url: string, since: string) =>
    mail(product, "a webhook endpoint was disabled", [
      `Every delivery to the webhook endpoint ${url} has failed since ${since}, so ${product} has disabled it.`,
      "Events that occur while it is disabled are not queued for it. Fix the receiver, then enable the endpoint again (PATCH /api/v1/admin/webhooks/{id} with enabled: true); its pending deliveries resume.",
    ]),

  passwordChanged: (product: string, how: "changed" | "reset") =>
    mail(product, "your password was changed", [
      `The password of your ${product} account was ${how}. ${
        how === "reset" ? "Every session was signed out." : "Every other session was signed out."
      }`,
      NOT_YOU,
    ]),

  identityLinked: (product: string, providerEmail: string | null) =>
    mail(product, "Google sign-in was linked to your account", [
      `A Google account${
        providerEmail ? ` (${providerEmail})` : ""
      } can now sign in to your ${product} account.`,
      "If this was not you, unlink it from your account settings, reset your password at once " +
      "and sign out every session.",
    ]),

  identityUnlinked: (product: string, providerEmail: string | null) =>
    mail(product, "Google sign-in was removed from your account", [
      `The Google account${
        providerEmail ? ` (${providerEmail})` : ""
      } can no longer sign in to your ${product} account.`,
      NOT_YOU,
    ]),
};
