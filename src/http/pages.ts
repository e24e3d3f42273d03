import type { Config } from "../config.ts";
import { DomainError } from "../services/errors.ts";
import { appRouter } from "../trpc/app_router.ts";
import type { Context } from "../trpc/context.ts";
import { describeError } from "../trpc/error_body.ts";
import { createCallerFactory } from "../trpc/init.ts";
import { readBodyLimited } from "./body.ts";

const createCaller = createCallerFactory(appRouter);

interface Page {
  title: string;
  button: string;
  /** Extra form fields the person fills in. */
  fields?: string;
  /** Performs the action with the submitted form; returns the sentence to show on success. */
  submit(ctx: Context, form: URLSearchParams): Promise<string>;
}

const pages: Record<string, Page> = {
  "/verify-email": {
    title: "Confirm your email address",
    button: "Confirm email address",
    submit: async (ctx, form) => {
      const { email } = await createCaller(ctx).auth.verifyEmail({
        token: form.get("token") ?? "",
      });
      return `Thank you: ${email} is confirmed.`;
    },
  },
  "/confirm-email-change": {
    title: "Confirm your new email address",
    button: "Confirm new address",
    submit: async (ctx, form) => {
      const { email } = await createCaller(ctx).users.verifyEmailChange({
        token: form.get("token") ?? "",
      });
      return `Your email address is now ${email}.`;
    },
  },
  "/cancel-deletion": {
    title: "Keep your account",
    button: "Cancel the deletion",
    submit: async (ctx, form) => {
      await createCaller(ctx).auth.cancelDeletion({ token: form.get("token") ?? "" });
      return "Your account will not be deleted. Sign in again to use it.";
    },
  },
  "/revert-email-change": {
    title: "Restore your email address",
    button: "Restore my address",
    submit: async (ctx, form) => {
      const { email } = await createCaller(ctx).auth.revertEmailChange({
        token: form.get("token") ?? "",
      });
      return `Your email address is ${email} again. Every session was signed out: choose a new password with the link we sent there.`;
    },
  },
  "/reset-password": {
    title: "Choose a new password",
    button: "Set new password",
    fields: `<label>New password <input type="password" name="new_password" minlength="8"
      maxlength="128" required autocomplete="new-password" autofocus></label>`,
    submit: async (ctx, form) => {
      await createCaller(ctx).auth.resetPassword({
        token: form.get("token") ?? "",
        new_password: form.get("new_password") ?? "",
      });
      return "Your password has been changed. Every session was signed out: sign in again.";
    },
  },
};

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function html(product: string, title: string, body: string, status = 200): Response {
  return new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · ${escape(product)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;margin:.5rem 0;font-size:1rem}
button{padding:.6rem;background:#1f6feb;color:#fff;border:0;border-radius:6px}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`,
    {
      status,
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "content-security-policy":
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      },
    },
  );
}

/** Whether `path` is one of the pages emailed links open. */
export function isLinkPage(path: string): boolean {
  return Object.hasOwn(pages, path);
}

/**
 * Serves the pages that emailed links open. A GET only shows a button (so an email scanner that
 * fetches the link consumes nothing); the button POSTs the form back here, which calls the same
 * procedure the API exposes and shows the outcome.
 */
export async function serveLinkPage(
  request: Request,
  url: URL,
  ctx: Context,
  config: Pick<Config, "productName" | "maxBodyBytes">,
): Promise<Response> {
  const page = pages[url.pathname];
  const product = config.productName;
  if (request.method === "GET" || request.method === "HEAD") {
    const token = url.searchParams.get("token") ?? "";
    return html(
      product,
      page.title,
      `<form method="post" action="${escape(url.pathname)}">
<input type="hidden" name="token" value="${escape(token)}">${page.fields ?? ""}
<button type="submit">${escape(page.button)}</button></form>`,
    );
  }
  if (request.method !== "POST") return html(product, page.title, "<p>Method not allowed</p>", 405);
  try {
    const form = new URLSearchParams(
      new TextDecoder().decode(await readBodyLimited(request, config.maxBodyBytes)),
    );
    const done = await page.submit(ctx, form);
    return html(product, page.title, `<p>${escape(done)}</p>`);
  } catch (error) {
    const described = describeError(error);
    if (described.status >= 500 && !(error instanceof DomainError)) throw error;
    return html(
      product,
      page.title,
      `<p role="alert">${escape(described.body.detail)}</p>`,
      described.status,
    );
  }
}
