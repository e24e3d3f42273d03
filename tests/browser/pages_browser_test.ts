import assert from "node:assert/strict";
import { join } from "node:path";
import { type BrowserPage, launchChromium, pngSize } from "../helpers/chromium.ts";
import { linkToken } from "../helpers/mail.ts";
import { startTestServer } from "../helpers/test_server.ts";

/** Screenshots go to `$SCREENSHOT_DIR` when set (to look at them), else a temporary directory. */
async function screenshotDir(): Promise<{ dir: string; temporary: boolean }> {
  const dir = Deno.env.get("SCREENSHOT_DIR");
  if (dir) {
    await Deno.mkdir(dir, { recursive: true });
    return { dir, temporary: false };
  }
  return { dir: await Deno.makeTempDir({ prefix: "vestibule-screens-" }), temporary: true };
}

async function shoot(page: BrowserPage, file: string, fullPage = false): Promise<void> {
  const png = await page.screenshot({ fullPage });
  const { width, height } = pngSize(png);
  assert.ok(width > 300 && height > 300, `${file}: ${width}x${height}`);
  await Deno.writeFile(file, png);
}

/** What a test reads off a rendered link page. */
interface Rendered {
  brand: string;
  title: string;
  h1: string;
  button: string;
  buttonColor: string;
  scrollWidth: number;
  innerWidth: number;
  back: string | null;
  error: string | null;
  formKept: boolean;
  token: string | null;
  passwordInvalid: string | null;
}

const READ_PAGE = `({
  brand: document.querySelector(".brand")?.textContent ?? "",
  title: document.title,
  h1: document.querySelector("h1")?.textContent ?? "",
  button: document.querySelector("button")?.textContent ?? "",
  buttonColor: document.querySelector("button, .button")
    ? getComputedStyle(document.querySelector("button, .button")).backgroundColor : "",
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  back: document.querySelector(".back a")?.getAttribute("href") ?? null,
  error: document.querySelector(".error")?.textContent ?? null,
  formKept: document.querySelector("form") !== null,
  token: document.querySelector("input[name=token]")?.value ?? null,
  passwordInvalid: document.querySelector("input[name=new_password]")
    ?.getAttribute("aria-invalid") ?? null,
})`;

Deno.test("the link pages render as a product on a phone, under their CSP (screenshots)", async () => {
  const server = await startTestServer({
    PRODUCT_NAME: "Acme Notes",
    APP_URL: "https://app.example.com/",
  });
  const browser = await launchChromium();
  const { dir, temporary } = await screenshotDir();
  try {
    const page = await browser.newPage();
    await page.setViewport(390, 844, true);
    const titles: Record<string, string> = {
      "verify-email": "Confirm your email address",
      "confirm-email-change": "Confirm your new email address",
      "reset-password": "Choose a new password",
      "cancel-deletion": "Keep your account",
    };
    for (const [name, h1] of Object.entries(titles)) {
      await page.goto(`${server.url}/${name}?token=sample-token`);
      const seen = await page.evaluate<Rendered>(READ_PAGE);
      assert.equal(seen.brand, "Acme Notes", name);
      assert.equal(seen.title, `${h1} · Acme Notes`);
      assert.equal(seen.h1, h1);
      assert.equal(seen.token, "sample-token");
      assert.equal(seen.back, "https://app.example.com/");
      assert.equal(seen.innerWidth, 390, "the viewport meta gives the phone's width");
      assert.ok(seen.scrollWidth <= 390, `${name} scrolls sideways: ${seen.scrollWidth}px`);
      assert.equal(seen.buttonColor, "rgb(31, 111, 235)", "the hashed style applied under the CSP");
      await shoot(page, join(dir, `${name}.png`));
    }
    assert.deepEqual(page.console.filter((e) => /Content Security Policy/.test(e.text)), []);

    // A weak password: the error appears beside the form, which stays for another try.
    await server.register("phone@example.com", "secure123");
    await server.api("POST", "/auth/password/forgot", { body: { email: "phone@example.com" } });
    const token = linkToken((await server.mailTo("phone@example.com")).at(-1)!);
    await page.goto(`${server.url}/reset-password?token=${token}`);
    await page.evaluate(`(() => {
      document.querySelector("input[name=new_password]").value = "password";
      document.querySelector("form").submit();
    })()`);
    await page.waitFor("document.querySelector('.error')", "the refusal to be shown");
    const refused = await page.evaluate<Rendered>(READ_PAGE);
    assert.equal(refused.error, "Password does not meet requirements");
    assert.ok(refused.formKept);
    assert.equal(refused.token, token, "the same link can be tried again");
    assert.equal(refused.passwordInvalid, "true");
    assert.equal(refused.brand, "Acme Notes");
    assert.ok(refused.scrollWidth <= 390);
    await shoot(page, join(dir, "reset-password-error.png"));

    await page.evaluate(`(() => {
      document.querySelector("input[name=new_password]").value = "a-much-better-one";
      document.querySelector("form").submit();
    })()`);
    await page.waitFor(
      "document.querySelector('[role=status]')?.textContent",
      "the success message",
    );
    const done = await page.evaluate<Rendered>(READ_PAGE);
    assert.equal(done.formKept, false);
    assert.equal(done.error, null);
    await shoot(page, join(dir, "reset-password-done.png"));
    await page.close();
  } finally {
    await browser.close();
    await server.close();
    if (temporary) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("/docs renders the served openapi.json offline (screenshot)", async () => {
  const server = await startTestServer();
  const browser = await launchChromium();
  const { dir, temporary } = await screenshotDir();
  try {
    const document = await (await fetch(`${server.url}/openapi.json`)).json();
    const operations = Object.values(document.paths as Record<string, object>)
      .reduce((n, item) => n + Object.keys(item).length, 0);
    const page = await browser.newPage();
    await page.setViewport(1280, 900);
    await page.goto(`${server.url}/docs`);
    const rendered = await page.waitFor<number>(
      `document.querySelectorAll(".opblock").length`,
      "the reference to render its operations",
    );
    assert.equal(rendered, operations, "one block per operation of openapi.json");
    const seen = await page.evaluate<{ title: string; paths: string[] }>(`({
      title: document.querySelector(".info .title")?.textContent ?? "",
      paths: [...document.querySelectorAll(".opblock-summary-path")].map((e) => e.textContent),
    })`);
    assert.ok(seen.title.startsWith(document.info.title), seen.title);
    assert.ok(seen.paths.some((p) => p.includes("/users/me")), JSON.stringify(seen.paths));
    assert.ok(seen.paths.some((p) => p.includes("/auth/login")));

    // Open one operation: its documented responses render too.
    await page.evaluate(`document.querySelector(".opblock-summary-control").click()`);
    const statuses = await page.waitFor<string[]>(
      `((cells) => cells.length > 0 ? cells.map((e) => e.textContent.trim()) : null)([
        ...document.querySelectorAll(".opblock.is-open .responses-table tr.response > .response-col_status"),
      ])`,
      "an operation to open",
    );
    const first = Object.values(document.paths as Record<string, Record<string, unknown>>)[0];
    // deno-lint-ignore no-explicit-any
    const documented = Object.keys((Object.values(first)[0] as any).responses);
    assert.deepEqual(statuses.map((s) => s.slice(0, 3)), documented);
    await shoot(page, join(dir, "docs.png"));
    const problems = page.console.filter((e) =>
      e.level === "error" || /Content Security Policy|Refused to/.test(e.text)
    );
    assert.deepEqual(problems, [], "nothing blocked by the CSP, nothing fetched elsewhere");
    await page.close();
  } finally {
    await browser.close();
    await server.close();
    if (temporary) await Deno.remove(dir, { recursive: true });
  }
});
