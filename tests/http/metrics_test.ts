import assert from "node:assert/strict";
import { startTestServer } from "../helpers/test_server.ts";

/** The value of one series in a Prometheus text exposition, or `undefined` when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("/metrics counts requests by route template and status, sign-ins, refusals and the outbox", async () => {
  const server = await startTestServer({ RATE_LIMIT_LOGIN_PER_ACCOUNT: "2/900" });
  try {
    const { access_token: token } = await server.register("metrics@example.com", "secure123");
    await server.mailbox(); // the verification mail is sent, so the outbox starts empty
    assert.equal((await server.api("GET", "/users/me", { token })).status, 200);
    assert.equal((await server.api("GET", "/users/me")).status, 401);
    const sessionPath = `/users/me/sessions/${crypto.randomUUID()}`;
    assert.equal((await server.api("DELETE", sessionPath, { token })).status, 404);
    const login = (password: string) =>
      server.api("POST", "/auth/login", { body: { email: "metrics@example.com", password } });
    assert.equal((await login("secure123")).status, 200);
    assert.equal((await login("wrong-one")).status, 401);
    assert.equal((await login("wrong-two")).status, 401);
    assert.equal((await login("secure123")).status, 429, "the account limit refuses");
    await server.trpc(token).users.me.query();
    await (await fetch(`${server.url}/no/such/${crypto.randomUUID()}`)).body?.cancel();

    // Two messages wait: the oldest written 90 seconds before the (manual) clock's now.
    const now = server.clock.now().getTime();
    for (const ageSeconds of [90, 30]) {
      await server.deps.db.insertInto("outbox").values({
        kind: "test",
        recipient: "queue@example.com",
        subject: "s",
        text_body: "t",
        html_body: "h",
        next_attempt_at: new Date(now + 3_600_000).toISOString(),
        created_at: new Date(now - ageSeconds * 1000).toISOString(),
      }).execute();
    }

    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const count = (method: string, route: string, status: number) =>
      sample(
        text,
        `vestibule_http_request_duration_seconds_count{method="${method}",route="${route}",status="${status}"}`,
      );
    assert.equal(count("GET", "/api/v1/users/me", 200), 1);
    assert.equal(count("GET", "/api/v1/users/me", 401), 1);
    assert.equal(count("DELETE", "/api/v1/users/me/sessions/{id}", 404), 1);
    assert.equal(count("POST", "/api/v1/auth/login", 401), 2);
    assert.equal(count("GET", "/trpc/users.me", 200), 1);
    assert.equal(count("GET", "other", 404), 1);
    assert.ok(!text.includes(sessionPath) && !text.includes("/no/such"), "no raw paths");
    assert.match(
      text,
      /vestibule_http_request_duration_seconds_bucket\{le="0\.001",method="GET",route="\/api\/v1\/users\/me",status="200"\}/,
    );
    assert.equal(sample(text, 'vestibule_sign_ins_total{outcome="succeeded"}'), 1);
    assert.equal(sample(text, 'vestibule_sign_ins_total{outcome="failed"}'), 2);
    assert.equal(
      sample(text, 'vestibule_rate_limit_refusals_total{route="/api/v1/auth/login"}'),
      1,
    );
    assert.equal(sample(text, "vestibule_outbox_pending"), 2);
    assert.equal(sample(text, "vestibule_outbox_oldest_pending_age_seconds"), 90);
  } finally {
    await server.close();
  }
});

Deno.test("/metrics with METRICS_TOKEN answers only that bearer token", async () => {
  const secret = "scrape-token-0123456789";
  const server = await startTestServer({ METRICS_TOKEN: secret });
  try {
    const scrape = async (authorization?: string) => {
      const response = await fetch(`${server.url}/metrics`, {
        headers: authorization === undefined ? {} : { authorization },
      });
      return { status: response.status, body: await response.text() };
    };
    for (
      const wrong of [undefined, "Bearer nope", `Bearer ${secret}x`, secret, `Basic ${secret}`]
    ) {
      const { status, body } = await scrape(wrong);
      assert.equal(status, 401, String(wrong));
      assert.deepEqual(JSON.parse(body), {
        detail: "Metrics token required",
        code: "NOT_AUTHENTICATED",
      });
    }
    const allowed = await scrape(`Bearer ${secret}`);
    assert.equal(allowed.status, 200);
    assert.match(allowed.body, /vestibule_outbox_pending 0/);
  } finally {
    await server.close();
  }
});
