import { createHash } from "node:crypto";
import type { Config } from "../config.ts";
import { DomainError } from "../services/errors.ts";
import { appRouter } from "../trpc/app_router.ts";
import type { Context } from "../trpc/context.ts";
import { describeError } from "../trpc/error_body.ts";
import { createCallerFactory } from "../trpc/init.ts";
import { readBodyLimited } from "./body.ts";

const createCaller = createCallerFactory(appRouter);

/**
 * One page behind an emailed link. To add a page, add an entry to `pages`: the layout, the
 * headers, the error shown beside the kept form and the link back to the app come with it.
 */
interface Page {
  title: string;
  /** One sentence under the title saying what the button does. */
  intro?: string;
  button: string;
  /** Extra form fields the person fills in (never given back after an error: they may be secret). */
  fields?: string;
  /** Performs the action with the submitted form; returns the sentence to show on success. */
  submit(ctx: Context, form: URLSearchParams): Promise<string>;
}

const pages: Record<string, Page> = {
  "/verify-email": {
    title: "Confirm your email address",
    intro: "Confirm that this address is yours to finish setting up your account.",
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
    intro: "Confirm to make this the email address of your account.",
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
    intro: "Your account is scheduled for deletion. Cancel it to keep your account as it is.",
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
    intro: "Use 8 to 128 characters, and not a password you use elsewhere.",
    button: "Set new password",
    fields: `<label for="new_password">New password</label>
<input type="password" id="new_password" name="new_password" minlength="8" maxlength="128" required
 autocomplete="new-password" autofocus>`,
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

// The pages' only style, allowed by its hash: the CSP admits no other style and no script.
const STYLE = `:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#f4f5f7;--card:#fff;
--line:#d0d7de;--accent:#1f6feb;--error:#b42318;--error-bg:#fef3f2}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;
--line:#30363d;--accent:#4493f8;--error:#ff7b72;--error-bg:#2d1214}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;background:var(--bg);color:var(--fg);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:26rem;margin:0 auto;padding:2.5rem 1rem}
.brand{margin:0 0 1.25rem;font-weight:700;font-size:1.15rem;letter-spacing:.01em}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1.5rem}
h1{margin:0 0 .5rem;font-size:1.35rem;line-height:1.3}
.intro{margin:0 0 1.25rem;color:var(--muted)}
label{display:block;font-weight:600;margin:0 0 .35rem}
input{display:block;width:100%;padding:.65rem .75rem;font:inherit;color:inherit;
background:var(--bg);border:1px solid var(--line);border-radius:8px;margin:0 0 1rem}
input[aria-invalid=true]{border-color:var(--error)}
button,.button{display:block;width:100%;padding:.7rem;font:inherit;font-weight:600;text-align:center;
color:#fff;background:var(--accent);border:0;border-radius:8px;cursor:pointer;text-decoration:none}
.error{margin:0 0 1rem;padding:.65rem .75rem;color:var(--error);background:var(--error-bg);
border:1px solid var(--error);border-radius:8px}
.done{margin:0 0 1.25rem}
.back{margin:1.25rem 0 0;text-align:center}
.back a{color:var(--accent)}`;

const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": PAGE_CSP,
});

/** What a page shows: the form (with an error beside it), or the outcome. */
type View =
  | { kind: "form"; token: string; error?: string }
  | { kind: "done"; message: string }
  | { kind: "message"; message: string };

function render(
  page: Page,
  path: string,
  view: View,
  config: Pick<Config, "productName" | "appUrl">,
): string {
  const product = escape(config.productName);
  let body = "";
  if (view.kind === "form") {
    const error = view.error === undefined
      ? ""
      : `<p class="error" role="alert" id="form-error">${escape(view.error)}</p>`;
    const fields = view.error === undefined || page.fields === undefined
      ? page.fields ?? ""
      : page.fields.replace("<input ", '<input aria-invalid="true" aria-describedby="form-error" ');
    body = `<form method="post" action="${escape(path)}">
<input type="hidden" name="token" value="${escape(view.token)}">
${fields}${error}<button type="submit">${escape(page.button)}</button></form>`;
  } else {
    const role = view.kind === "done" ? "status" : "alert";
    body = `<p class="done" role="${role}">${escape(view.message)}</p>`;
    if (view.kind === "done" && config.appUrl !== undefined) {
      body += `<a class="button" href="${escape(config.appUrl)}">Continue to ${product}</a>`;
    }
  }
  // After success the button above already leads back.
  const back = config.appUrl === undefined || view.kind === "done"
    ? ""
    : `<p class="back"><a href="${escape(config.appUrl)}">Back to ${product}</a></p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(page.title)} · ${product}</title>
<style>${STYLE}</style></head>
<body><main><p class="brand">${product}</p><div class="card">
<h1>${escape(page.title)}</h1>${
    page.intro === undefined || view.kind !== "form"
      ? ""
      : `<p class="intro">${escape(page.intro)}</p>`
  }
${body}</div>${back}</main></body></html>`;
}

function html(text: string, status = 200, extra?: Record<string, string>): Response {
  return new Response(text, {
    status,
    headers: extra === undefined ? PAGE_HEADERS : { ...PAGE_HEADERS, ...extra },
  });
}

/** Whether `path` is one of the pages emailed links open. */
export function isLinkPage(path: string): boolean {
  return Object.hasOwn(pages, path);
}

/**
 * Serves the pages that emailed links open. A GET only shows a button (so an email scanner that
 * fetches the link consumes nothing); the button POSTs the form back here, which calls the same
 * procedure the API exposes and shows the outcome. A refusal (a weak password, a used link) is
 * shown beside the form, which stays so the member can try again. Every page names the product,
 * fits a phone, links back to `APP_URL` when set, and is sent with a CSP that admits only its own
 * hashed style, no script and no framing.
 */
export async function serveLinkPage(
  request: Request,
  url: URL,
  ctx: Context,
  config: Pick<Config, "productName" | "maxBodyBytes" | "appUrl">,
): Promise<Response> {
  const path = url.pathname;
  const page = pages[path];
  if (request.method === "GET" || request.method === "HEAD") {
    const token = url.searchParams.get("token") ?? "";
    return html(render(page, path, { kind: "form", token }, config));
  }
  if (request.method !== "POST") {
    return html(
      render(page, path, { kind: "message", message: "Method not allowed" }, config),
      405,
      { allow: "GET, HEAD, POST" },
    );
  }
  let form = new URLSearchParams();
  try {
    form = new URLSearchParams(
      new TextDecoder().decode(await readBodyLimited(request, config.maxBodyBytes)),
    );
    const done = await page.submit(ctx, form);
    return html(render(page, path, { kind: "done", message: done }, config));
  } catch (error) {
    const described = describeError(error);
    if (described.status >= 500 && !(error instanceof DomainError)) throw error;
    const view: View = {
      kind: "form",
      token: form.get("token") ?? "",
      error: described.body.detail,
    };
    return html(render(page, path, view, config), described.status);
  }
}
