import assert from "node:assert/strict";
import { deliverWebhooksJob } from "../../src/jobs/deliver_webhooks.ts";
import { purgeDeletionsJob } from "../../src/jobs/purge_deletions.ts";
import { webhookEventTypes } from "../../src/schemas/webhooks.ts";
import { registerAdmin, registerMember, signIn } from "../helpers/credits.ts";
import { encodeAs, twoToneImage } from "../helpers/images.ts";
import { linkToken } from "../helpers/mail.ts";
import { startTestServer, type TestServer } from "../helpers/test_server.ts";
import { type ReceivedEvent, startReceiver, verifierFor } from "../helpers/webhook_receiver.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Private addresses allowed: the receiver is on 127.0.0.1. The default 10 s answer timeout. */
const env = { WEBHOOK_ALLOW_PRIVATE: "true" };

/** Waits for every nudge-started delivery run (the explicit synchronisation point). */
async function settle(server: TestServer): Promise<void> {
  await server.deps.background.idle();
  await server.deps.webhooks.idle();
  await server.deps.background.idle();
}

/** Moves the clock and runs the deliver-webhooks job, as the scheduler would. */
async function later(server: TestServer, ms: number): Promise<void> {
  server.clock.advance(ms);
  await deliverWebhooksJob.run(server.deps);
  await settle(server);
}

async function addEndpoint(
  server: TestServer,
  token: string,
  url: string,
  events?: string[],
): Promise<{ id: string; secret: string }> {
  const res = await server.api("POST", "/admin/webhooks", { token, body: { url, events } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

/** What an accepted event says, without its per-event id and time. */
function summary(event: ReceivedEvent) {
  return { type: event.payload.type, data: event.payload.data };
}

Deno.test("every lifecycle event arrives signed, after its call, with the documented payload", async (t) => {
  const server = await startTestServer(env);
  const receiver = startReceiver(server.clock);
  try {
    const admin = await registerAdmin(server, "ops@example.com");
    const endpoint = await addEndpoint(server, admin.token, receiver.url);
    receiver.setSecrets([endpoint.secret]);
    let cursor = 0;
    /** The events accepted since the last call, after delivery settled. */
    const next = async () => {
      await settle(server);
      const fresh = receiver.accepted.slice(cursor);
      cursor = receiver.accepted.length;
      return fresh;
    };
    const email = "lifecycle@example.com";
    let member = await server.register(email);
    const id: string = member.user.id;
    const token = () => member.access_token as string;

    await t.step("user.created", async () => {
      const [created, ...rest] = await next();
      assert.deepEqual(rest, []);
      assert.deepEqual(summary(created), {
        type: "user.created",
        data: {
          user_id: id,
          email,
          name: "Member",
          email_verified: false,
          created_at: "2026-11-23T10:00:00.000Z",
        },
      });
      assert.equal(created.payload.timestamp, "2026-11-23T10:00:00.000Z");
      assert.match(created.id, /^msg_/);
      assert.equal(created.timestamp, Date.parse("2026-11-23T10:00:00.000Z") / 1000);
      assert.match(created.signature, /^v1,[A-Za-z0-9+/=]+$/);
    });

    await t.step("user.email_verified", async () => {
      const [mail] = await server.mailTo(email);
      const res = await server.api("POST", "/auth/verify-email", {
        body: { token: linkToken(mail) },
      });
      assert.equal(res.status, 200);
      assert.deepEqual((await next()).map(summary), [
        { type: "user.email_verified", data: { user_id: id, email } },
      ]);
    });

    await t.step("user.updated names only the changed fields", async () => {
      const res = await server.api("PATCH", "/users/me", {
        token: token(),
        body: { name: "Renamed", phone: "+33 6 12 34 56 78" },
      });
      assert.equal(res.status, 200);
      await server.api("PATCH", "/users/me", { token: token(), body: { name: "Renamed" } });
      const form = new FormData();
      form.set("file", new Blob([await encodeAs(twoToneImage(32, 32), "png")]), "me.png");
      const picture = await server.api("POST", "/users/me/profile-picture", {
        token: token(),
        body: form,
      });
      assert.equal(picture.status, 200);
      assert.deepEqual((await next()).map(summary), [
        { type: "user.updated", data: { user_id: id, name: "Renamed", phone: "+33612345678" } },
        {
          type: "user.updated",
          data: { user_id: id, profile_picture: picture.body.profile_picture },
        },
      ]);
    });

    await t.step("user.email_changed with the old and new address", async () => {
      await server.api("POST", "/users/me/email/change", {
        token: token(),
        body: { new_email: "moved@example.com", password: "secure123" },
      });
      assert.deepEqual(await next(), [], "nothing until the link is used");
      const [mail] = await server.mailTo("moved@example.com");
      const res = await server.api("POST", "/users/me/email/verify", {
        body: { token: linkToken(mail) },
      });
      assert.equal(res.status, 200);
      assert.deepEqual((await next()).map(summary), [
        {
          type: "user.email_changed",
          data: { user_id: id, old_email: email, new_email: "moved@example.com" },
        },
      ]);
    });

    await t.step("user.password_changed and user.sessions_revoked", async () => {
      const res = await server.api("POST", "/users/me/password", {
        token: token(),
        body: { current_password: "secure123", new_password: "better456" },
      });
      assert.equal(res.status, 200);
      assert.deepEqual((await next()).map(summary), [
        { type: "user.password_changed", data: { user_id: id, via: "change" } },
        {
          type: "user.sessions_revoked",
          data: { user_id: id, reason: "password_changed", count: 0 },
        },
      ]);
      const logoutAll = await server.api("POST", "/users/me/logout-all", { token: token() });
      assert.equal(logoutAll.status, 200);
      assert.deepEqual((await next()).map(summary), [
        { type: "user.sessions_revoked", data: { user_id: id, reason: "logout_all", count: 1 } },
      ]);
    });

    await t.step("a password reset", async () => {
      await server.api("POST", "/auth/password/forgot", { body: { email: "moved@example.com" } });
      const mails = await server.mailTo("moved@example.com");
      const reset = mails.find((m) => /reset/i.test(m.subject))!;
      const res = await server.api("POST", "/auth/password/reset", {
        body: { token: linkToken(reset), new_password: "secure123" },
      });
      assert.equal(res.status, 200);
      assert.deepEqual((await next()).map(summary), [
        { type: "user.password_changed", data: { user_id: id, via: "reset" } },
        {
          type: "user.sessions_revoked",
          data: { user_id: id, reason: "password_reset", count: 0 },
        },
      ]);
    });

    await t.step("credits.granted and job.status_changed", async () => {
      const lot = await server.api("POST", `/admin/users/${id}/credits`, {
        token: admin.token,
        body: { amount: 40, source: "promo" },
      });
      const job = await server.api("POST", `/admin/users/${id}/jobs`, {
        token: admin.token,
        body: { kind: "render", credits_cost: 10 },
      });
      await server.api("PATCH", `/admin/jobs/${job.body.id}`, {
        token: admin.token,
        body: { status: "failed", error: "boom" },
      });
      assert.deepEqual((await next()).map(summary), [
        {
          type: "credits.granted",
          data: { user_id: id, lot_id: lot.body.id, amount: 40, source: "promo", expires_at: null },
        },
        {
          type: "job.status_changed",
          data: {
            user_id: id,
            job_id: job.body.id,
            kind: "render",
            from: "queued",
            to: "failed",
            refunded: 10,
          },
        },
      ]);
    });

    await t.step("deletion scheduled, cancelled by sign-in and by the link", async () => {
      member = (await server.api("POST", "/auth/login", {
        body: { email: "moved@example.com", password: "secure123" },
      })).body;
      assert.deepEqual(await next(), [], "a plain sign-in sends nothing");
      const del = await server.api("DELETE", "/users/me", {
        token: token(),
        body: { password: "secure123", confirmation: "DELETE MY ACCOUNT" },
      });
      assert.equal(del.status, 200);
      const login = await server.api("POST", "/auth/login", {
        body: { email: "moved@example.com", password: "secure123" },
      });
      assert.equal(login.body.deletion_cancelled, true);
      member = login.body;
      await server.api("DELETE", "/users/me", {
        token: token(),
        body: { password: "secure123", confirmation: "DELETE MY ACCOUNT" },
      });
      const mails = await server.mailTo("moved@example.com");
      const cancel = mails.filter((m) => /will be deleted/.test(m.subject)).at(-1)!;
      const res = await server.api("POST", "/auth/deletion/cancel", {
        body: { token: linkToken(cancel) },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const deletionDate = new Date(server.clock.now().getTime() + 14 * DAY).toISOString();
      const scheduled = [
        {
          type: "user.sessions_revoked",
          data: { user_id: id, reason: "account_deletion", count: 1 },
        },
        { type: "user.deletion_scheduled", data: { user_id: id, deletion_date: deletionDate } },
      ];
      assert.deepEqual((await next()).map(summary), [
        ...scheduled,
        { type: "user.deletion_cancelled", data: { user_id: id, via: "sign_in" } },
        ...scheduled,
        { type: "user.deletion_cancelled", data: { user_id: id, via: "link" } },
      ]);
    });

    await t.step("user.purged after the purge commits, naming only the id", async () => {
      member = (await server.api("POST", "/auth/login", {
        body: { email: "moved@example.com", password: "secure123" },
      })).body;
      await server.api("DELETE", "/users/me", {
        token: token(),
        body: { password: "secure123", confirmation: "DELETE MY ACCOUNT" },
      });
      await next();
      server.clock.advance(15 * DAY);
      const result = await purgeDeletionsJob.run(server.deps);
      assert.equal(result.accounts_purged, 1);
      const [purged, ...rest] = await next();
      assert.deepEqual(rest, []);
      assert.deepEqual(purged.payload, {
        type: "user.purged",
        timestamp: server.clock.now().toISOString(),
        data: { user_id: id },
      });
    });

    await t.step(
      "the README's verify example accepts what was sent, and nothing forged",
      async () => {
        const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
        const code = readme.split("<!-- webhook-verify:start -->")[1]
          .split("<!-- webhook-verify:end -->")[0].split("```js")[1].split("```")[0];
        const file = await Deno.makeTempFile({ suffix: ".mjs" });
        try {
          await Deno.writeTextFile(file, code);
          const { verify } = await import(`file://${file}`);
          for (const event of receiver.accepted) {
            const now = event.timestamp * 1000 + 2_000; // the receiver's clock, when it arrived
            const headers = {
              "webhook-id": event.id,
              "webhook-timestamp": String(event.timestamp),
              "webhook-signature": event.signature,
            };
            assert.equal(verify(endpoint.secret, headers, event.body, now), true);
            assert.equal(verify(endpoint.secret, headers, event.body + " ", now), false);
            assert.equal(
              verify(endpoint.secret, { ...headers, "webhook-id": "msg_other" }, event.body, now),
              false,
            );
            assert.equal(verify(endpoint.secret, headers, event.body, now + 3600_000), false);
          }
        } finally {
          await Deno.remove(file);
        }
      },
    );

    await t.step("every event was accepted once, and no payload carries a secret", () => {
      const ids = receiver.accepted.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length);
      assert.equal(receiver.rejected, 0);
      const types = new Set(receiver.accepted.map((e) => e.payload.type));
      assert.deepEqual([...types].sort(), [...webhookEventTypes].sort());
      for (const event of receiver.accepted) {
        for (const key of Object.keys(event.payload.data)) {
          assert.doesNotMatch(key, /password|hash|token|secret/i, event.body);
        }
        assert.doesNotMatch(event.body, /whsec_|secure123|better456|argon2/i, event.body);
      }
    });
  } finally {
    await receiver.close();
    await server.close();
  }
});

Deno.test("a receiver down, failing and timing out gets every event after it recovers, in order per member, once", async () => {
  // A hanging receiver costs one real timeout: 2 s, still far above a loaded machine's latency.
  const server = await startTestServer({ ...env, WEBHOOK_TIMEOUT_MS: "2000" });
  const receiver = startReceiver(server.clock);
  try {
    const admin = await registerAdmin(server);
    const endpoint = await addEndpoint(server, admin.token, receiver.url, ["user.updated"]);
    receiver.setSecrets([endpoint.secret]);
    const members = [await registerMember(server), await registerMember(server)];
    const expected = new Map<string, string[]>();
    const renameAll = async (round: number) => {
      await signIn(server, ...members); // the clock moves past access tokens' 15 minutes
      for (const [index, member] of members.entries()) {
        const name = `Member ${index} round ${round}`;
        const res = await server.api("PATCH", "/users/me", { token: member.token, body: { name } });
        assert.equal(res.status, 200);
        expected.set(member.id, [...expected.get(member.id) ?? [], name]);
      }
      await settle(server);
    };

    await receiver.setMode("error");
    await renameAll(1);
    await renameAll(2);
    // Only each member's first event was tried: the later ones wait behind it.
    assert.equal(receiver.seen.length, 2);
    await receiver.setMode("hang");
    await later(server, HOUR);
    await renameAll(3);
    await receiver.setMode("down");
    await later(server, 6 * HOUR);
    await renameAll(4);
    assert.equal(receiver.accepted.length, 0);
    const seenWhileFailing = receiver.seen.length;
    assert.equal(seenWhileFailing, 4, "each head was tried once while failing and once hanging");

    await receiver.setMode("ok");
    for (let i = 0; i < 3; i++) await later(server, 7 * HOUR);
    assert.equal(receiver.accepted.length, 8);
    await signIn(server, admin);
    const ids = receiver.accepted.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, "none twice");
    for (const member of members) {
      const names = receiver.accepted.filter((e) => e.payload.data.user_id === member.id)
        .map((e) => e.payload.data.name);
      assert.deepEqual(names, expected.get(member.id), "in order, none lost");
    }
    const deliveries = await server.api("GET", `/admin/webhooks/${endpoint.id}/deliveries`, {
      token: admin.token,
    });
    assert.equal(deliveries.status, 200);
    assert.equal(deliveries.body.pagination.total, 8);
    const first = deliveries.body.deliveries.at(-1);
    assert.equal(first.status, "delivered");
    assert.equal(first.attempts, 4, "failed 500, timed out, refused, then delivered");
    assert.equal(first.last_status_code, 200);
    assert.equal(first.last_response.length, 200, "only a short excerpt is kept");
    assert.equal(first.next_attempt_at, null);
  } finally {
    await receiver.close();
    await server.close();
  }
});

Deno.test("a redirect is not followed and counts as a failure", async () => {
  const server = await startTestServer(env);
  const receiver = startReceiver(server.clock);
  const redirector = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(null, { status: 307, headers: { location: receiver.url } }),
  );
  try {
    const admin = await registerAdmin(server);
    const endpoint = await addEndpoint(
      server,
      admin.token,
      `http://127.0.0.1:${redirector.addr.port}/hooks`,
    );
    receiver.setSecrets([endpoint.secret]);
    await registerMember(server);
    await settle(server);
    assert.equal(receiver.seen.length, 0);
    const res = await server.api("GET", `/admin/webhooks/${endpoint.id}/deliveries`, {
      token: admin.token,
    });
    const [delivery] = res.body.deliveries;
    assert.deepEqual([delivery.status, delivery.attempts, delivery.last_status_code], [
      "pending",
      1,
      307,
    ]);
    assert.equal(
      delivery.next_attempt_at,
      new Date(server.clock.now().getTime() + 30_000).toISOString(),
    );
  } finally {
    await redirector.shutdown();
    await receiver.close();
    await server.close();
  }
});

Deno.test("an endpoint failing for three days is given up, disabled, and the operators are mailed", async () => {
  const server = await startTestServer(env);
  const receiver = startReceiver(server.clock);
  try {
    const admin = await registerAdmin(server, "admin-on-call@example.com");
    const endpoint = await addEndpoint(server, admin.token, receiver.url);
    receiver.setSecrets([endpoint.secret]);
    await receiver.setMode("error");
    const member = await registerMember(server);
    await settle(server);
    for (let elapsed = 6 * HOUR; elapsed < 3 * DAY; elapsed += 6 * HOUR) {
      await later(server, 6 * HOUR);
    }
    // 66 hours in: still retried, still enabled.
    const before = await server.deps.db.selectFrom("webhook_deliveries").select("status")
      .executeTakeFirstOrThrow();
    assert.equal(before.status, "pending");
    const endpointBefore = await server.deps.db.selectFrom("webhook_endpoints")
      .select("enabled").executeTakeFirstOrThrow();
    assert.equal(endpointBefore.enabled, 1);
    await later(server, 6 * HOUR); // three days after the first failure
    await signIn(server, admin);
    const got = await server.api("GET", `/admin/webhooks/${endpoint.id}`, { token: admin.token });
    assert.equal(got.body.enabled, false);
    assert.match(got.body.disabled_reason, /^Every attempt failed since 2026-11-23T10:00:00.000Z/);
    const [mail] = await server.mailTo("admin-on-call@example.com").then((all) =>
      all.filter((m) => /webhook endpoint was disabled/.test(m.subject))
    );
    assert.ok(mail, "the admin was mailed");
    assert.match(mail.text, new RegExp(receiver.url));
    const deliveries = await server.api("GET", `/admin/webhooks/${endpoint.id}/deliveries`, {
      token: admin.token,
    });
    const [delivery] = deliveries.body.deliveries;
    assert.equal(delivery.status, "failed");
    assert.ok(delivery.attempts >= 10, `retried ${delivery.attempts} times over three days`);

    // Disabled: nothing more is queued; enabled again and retried by hand, it arrives.
    await signIn(server, member);
    await server.api("PATCH", "/users/me", { token: member.token, body: { name: "Later" } });
    await receiver.setMode("ok");
    const enabled = await server.api("PATCH", `/admin/webhooks/${endpoint.id}`, {
      token: admin.token,
      body: { enabled: true },
    });
    assert.deepEqual([enabled.body.enabled, enabled.body.disabled_reason], [true, null]);
    const retry = await server.api("POST", `/admin/webhooks/deliveries/${delivery.id}/retry`, {
      token: admin.token,
    });
    assert.equal(retry.status, 200);
    await settle(server);
    assert.deepEqual(receiver.accepted.map((e) => e.payload.type), ["user.created"]);
    assert.equal(receiver.accepted[0].id, delivery.event_id);
  } finally {
    await receiver.close();
    await server.close();
  }
});

Deno.test("rotation: a receiver holding only the old secret verifies for 24 hours", async () => {
  const server = await startTestServer(env);
  const receiver = startReceiver(server.clock);
  try {
    const admin = await registerAdmin(server);
    const endpoint = await addEndpoint(server, admin.token, receiver.url, ["user.updated"]);
    const member = await registerMember(server);
    const rotated = await server.api("POST", `/admin/webhooks/${endpoint.id}/rotate-secret`, {
      token: admin.token,
    });
    assert.equal(rotated.status, 200);
    assert.match(rotated.body.secret, /^whsec_/);
    assert.notEqual(rotated.body.secret, endpoint.secret);
    receiver.setSecrets([endpoint.secret]);
    await server.api("PATCH", "/users/me", { token: member.token, body: { name: "Old Key" } });
    await settle(server);
    assert.equal(receiver.accepted.length, 1, "verified with the old secret alone");
    const [event] = receiver.accepted;
    assert.equal(event.signature.split(" ").length, 2);
    assert.ok(event.signature.split(" ").every((s) => s.startsWith("v1,")));
    // The same request verifies under the new secret alone too.
    const headers = {
      "webhook-id": event.id,
      "webhook-timestamp": String(event.timestamp),
      "webhook-signature": event.signature,
    };
    assert.deepEqual(
      verifierFor(rotated.body.secret, server.clock).verify(event.body, headers),
      event.payload,
    );

    server.clock.advance(25 * HOUR);
    await signIn(server, member);
    await server.api("PATCH", "/users/me", { token: member.token, body: { name: "New Key" } });
    await settle(server);
    assert.equal(receiver.accepted.length, 1, "past the overlap the old secret no longer verifies");
    assert.equal(receiver.rejected, 1);
    receiver.setSecrets([rotated.body.secret]);
    await later(server, HOUR);
    assert.equal(receiver.accepted.length, 2);
    assert.equal(receiver.accepted[1].signature.split(" ").length, 1);
    assert.equal(receiver.accepted[1].payload.data.name, "New Key");
  } finally {
    await receiver.close();
    await server.close();
  }
});

Deno.test("three processes delivering from one database send each event once, in order per member", async () => {
  const server = await startTestServer(env);
  // The other processes sign with the wall clock: the server's clock starts at it too.
  server.clock.set(new Date());
  const receiver = startReceiver(server.clock);
  try {
    const admin = await registerAdmin(server);
    const endpoint = await addEndpoint(server, admin.token, receiver.url, ["user.updated"]);
    receiver.setSecrets([endpoint.secret]);
    await receiver.setMode("down"); // let a queue build up
    const members = [];
    for (let i = 0; i < 6; i++) members.push(await registerMember(server));
    for (let round = 1; round <= 5; round++) {
      for (const member of members) {
        await server.api("PATCH", "/users/me", {
          token: member.token,
          body: { name: `Round ${round}` },
        });
      }
    }
    await settle(server);
    await receiver.setMode("ok");
    // Due now for every process, whatever its clock (the backoff is not what is tested here).
    await server.deps.db.updateTable("webhook_deliveries")
      .set({ next_attempt_at: "2000-01-01T00:00:00.000Z" }).execute();
    const cli = async () => {
      const run = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          new URL("../../src/cli.ts", import.meta.url).pathname,
          "run-job",
          "deliver-webhooks",
        ],
        env: { ...server.cliEnv, WEBHOOK_ALLOW_PRIVATE: "true" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
      return JSON.parse(new TextDecoder().decode(run.stdout));
    };
    // The server takes every member's head and holds it in flight; two other processes run
    // meanwhile and must leave those leased deliveries, and the events queued behind them, alone.
    receiver.hold();
    const serverRun = server.deps.webhooks.deliverDue();
    await receiver.waitForSeen(6);
    const others = await Promise.all([cli(), cli()]);
    for (const other of others) {
      assert.deepEqual([other.delivered, other.failed], [0, 0], JSON.stringify(other));
    }
    receiver.release();
    assert.deepEqual(await serverRun, { delivered: 30, failed: 0 });
    assert.deepEqual([(await cli()).delivered], [0]);
    await settle(server);
    const ids = receiver.accepted.map((e) => e.id);
    assert.equal(ids.length, 30);
    assert.equal(new Set(ids).size, 30, "each event once");
    assert.equal(receiver.rejected, 0);
    for (const member of members) {
      const names = receiver.accepted.filter((e) => e.payload.data.user_id === member.id)
        .map((e) => e.payload.data.name);
      assert.deepEqual(names, [1, 2, 3, 4, 5].map((round) => `Round ${round}`));
    }
  } finally {
    await receiver.close();
    await server.close();
  }
});

Deno.test("a purge sends user.purged for each member after it commits, and a refused change sends nothing", async () => {
  const server = await startTestServer(env);
  const receiver = startReceiver(server.clock);
  try {
    const admin = await registerAdmin(server);
    const endpoint = await addEndpoint(server, admin.token, receiver.url, [
      "user.purged",
      "job.status_changed",
    ]);
    receiver.setSecrets([endpoint.secret]);

    const member = await registerMember(server);
    await server.api("POST", `/admin/users/${member.id}/credits`, {
      token: admin.token,
      body: { amount: 5, source: "promo" },
    });
    const job = await server.api("POST", `/admin/users/${member.id}/jobs`, {
      token: admin.token,
      body: { kind: "render", credits_cost: 1 },
    });
    const refused = await server.api("PATCH", `/admin/jobs/${job.body.id}`, {
      token: admin.token,
      body: { status: "succeeded" },
    });
    assert.equal(refused.status, 400);
    await settle(server);
    const queued = await server.deps.db.selectFrom("webhook_deliveries").select("type").execute();
    assert.equal(queued.length, 0, "a rolled-back change queued no event");

    const leaving = [];
    for (let i = 0; i < 3; i++) {
      const m = await registerMember(server);
      const res = await server.api("DELETE", "/users/me", {
        token: m.token,
        body: { password: "secure123", confirmation: "DELETE MY ACCOUNT" },
      });
      assert.equal(res.status, 200);
      leaving.push(m.id);
    }
    await settle(server);
    assert.equal(receiver.accepted.length, 0, "nothing before the purge");
    server.clock.advance(15 * DAY);
    assert.equal((await purgeDeletionsJob.run(server.deps)).accounts_purged, 3);
    await settle(server);
    assert.deepEqual(
      receiver.accepted.map((e) => e.payload.data).toSorted((a, b) =>
        a.user_id.localeCompare(b.user_id)
      ),
      leaving.toSorted().map((id) => ({ user_id: id })),
    );
    for (const event of receiver.accepted) {
      assert.equal(event.payload.type, "user.purged");
      const row = await server.deps.db.selectFrom("users").select("id")
        .where("id", "=", event.payload.data.user_id).executeTakeFirst();
      assert.equal(row, undefined, "the event names a member the purge removed");
    }
  } finally {
    await receiver.close();
    await server.close();
  }
});
