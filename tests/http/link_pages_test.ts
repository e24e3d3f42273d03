import assert from "node:assert/strict";
import { linkToken } from "../helpers/mail.ts";
import { startTestServer } from "../helpers/test_server.ts";

const PAGES = ["/verify-email", "/confirm-email-change", "/reset-password", "/cancel-deletion"];

function post(url: string, form: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
}

Deno.test("the link pages", async (t) => {
  const server = await startTestServer({
    PRODUCT_NAME: "Acme <Notes>",
    APP_URL: "https://app.example.com/home?from=link",
  });
  try {
    await t.step("each names the product, fits a phone and links back to APP_URL", async () => {
      for (const path of PAGES) {
        const html = await (await fetch(`${server.url}${path}?token=t0k"en`)).text();
        assert.match(html, /<title>[^<]+ · Acme &#60;Notes&#62;<\/title>/, path);
        assert.match(html, /<p class="brand">Acme &#60;Notes&#62;<\/p>/, path);
        assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
        assert.match(
          html,
          /<a href="https:\/\/app\.example\.com\/home\?from=link">Back to Acme &#60;Notes&#62;<\/a>/,
          path,
        );
        assert.match(html, /<input type="hidden" name="token" value="t0k&#34;en">/, path);
        assert.match(html, new RegExp(`<form method="post" action="${path}">`), path);
      }
    });

    await t.step("a weak password is shown beside the kept form", async () => {
      await server.register("reset@example.com", "secure123");
      await server.api("POST", "/auth/password/forgot", { body: { email: "reset@example.com" } });
      const token = linkToken((await server.mailTo("reset@example.com")).at(-1)!);
      const res = await post(`${server.url}/reset-password`, { token, new_password: "password" });
      const html = await res.text();
      assert.equal(res.status, 400);
      assert.match(
        html,
        /<p class="error" role="alert" id="form-error">Password does not meet requirements<\/p>/,
      );
      assert.match(html, /<form method="post" action="\/reset-password">/, "the form stays");
      assert.ok(html.includes(`<input type="hidden" name="token" value="${token}">`));
      assert.match(
        html,
        /<input aria-invalid="true" aria-describedby="form-error" type="password"/,
      );
      assert.doesNotMatch(html, /value="password"/, "the refused password is not sent back");
      assert.match(html, /Back to Acme/);

      const retry = await post(`${server.url}/reset-password`, {
        token,
        new_password: "a-much-better-one",
      });
      assert.equal(retry.status, 200, "the same link still works after the refusal");
      const done = await retry.text();
      assert.match(done, /role="status">Your password has been changed/);
      assert.doesNotMatch(done, /<form/);
      assert.match(done, /<a class="button" href="https:\/\/app\.example\.com\/home\?from=link">/);
    });

    await t.step("a bad token keeps the form too, with the error beside it", async () => {
      for (const path of PAGES) {
        const res = await post(`${server.url}${path}`, {
          token: "nope",
          new_password: "x".repeat(12),
        });
        const html = await res.text();
        assert.equal(res.status, 400, path);
        assert.match(
          html,
          /<p class="error" role="alert" id="form-error">Invalid [a-z ]+ token<\/p>/,
        );
        assert.match(html, /<form method="post"/, path);
      }
    });

    await t.step("another method is 405 with Allow", async () => {
      const res = await fetch(`${server.url}/verify-email`, { method: "PUT" });
      await res.body?.cancel();
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("allow"), "GET, HEAD, POST");
    });
  } finally {
    await server.close();
  }
});

Deno.test("without APP_URL the pages have no link back", async () => {
  const server = await startTestServer();
  try {
    const html = await (await fetch(`${server.url}/verify-email?token=x`)).text();
    assert.match(html, /<p class="brand">Vestibule<\/p>/);
    assert.doesNotMatch(html, /Back to|<a /);
  } finally {
    await server.close();
  }
});
