import assert from "node:assert/strict";
import { listTables } from "../../src/data/schema.ts";
import { purgeDeletionsJob } from "../../src/jobs/purge_deletions.ts";
import { purgeDueAccounts } from "../../src/services/account_purge.ts";
import { encodeAs, twoToneImage } from "../helpers/images.ts";
import { ledgerOf } from "../helpers/ledger_invariant.ts";
import { startTestServer, type TestServer } from "../helpers/test_server.ts";

const PHRASE = "DELETE MY ACCOUNT";
const DAY = 86_400_000;

/**
 * A member with something in every corner: a picture, two sessions, credits in two lots, a
 * succeeded and a failed (refunded) job, a pending email change, audit events and sent mail.
 */
async function populatedMember(server: TestServer, email: string, adminToken: string) {
  const member = await server.register(email);
  const id: string = member.user.id;
  const form = new FormData();
  form.set("file", new Blob([await encodeAs(twoToneImage(64, 64), "png")]), "me.png");
  assert.equal(
    (await server.api("POST", "/users/me/profile-picture", {
      token: member.access_token,
      body: form,
    })).status,
    200,
  );
  await server.api("POST", "/auth/login", { body: { email, password: "secure123" } });
  await server.api("POST", "/users/me/email/change", {
    token: member.access_token,
    body: { new_email: `new-${email}`, password: "secure123" },
  });
  for (
    const body of [{ amount: 100, source: "purchase" }, {
      amount: 50,
      source: "promo",
      expires_at: "2027-06-01T00:00:00.000Z",
    }]
  ) {
    const res = await server.api("POST", `/admin/users/${id}/credits`, { token: adminToken, body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
  const jobs = [];
  for (const cost of [30, 20]) {
    const res = await server.api("POST", `/admin/users/${id}/jobs`, {
      token: adminToken,
      body: { kind: "render", credits_cost: cost },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    jobs.push(res.body.id);
  }
  await server.api("PATCH", `/admin/jobs/${jobs[0]}`, {
    token: adminToken,
    body: { status: "running" },
  });
  await server.api("PATCH", `/admin/jobs/${jobs[0]}`, {
    token: adminToken,
    body: { status: "succeeded" },
  });
  const failed = await server.api("PATCH", `/admin/jobs/${jobs[1]}`, {
    token: adminToken,
    body: { status: "failed", error: "boom" },
  });
  assert.equal(failed.status, 200, JSON.stringify(failed.body));
  await server.mailbox();
  return { ...member, id, email };
}

async function adminToken(server: TestServer): Promise<string> {
  const admin = await server.register("admin@example.com");
  await server.deps.db.updateTable("users").set({ role: "admin" }).where("id", "=", admin.user.id)
    .execute();
  return admin.access_token;
}

/** Every row, in every table of the schema, whose any column mentions `needle`. */
async function rowsMentioning(
  server: TestServer,
  needles: string[],
): Promise<Record<string, unknown[]>> {
  const found: Record<string, unknown[]> = {};
  for (const table of await listTables(server.deps.db)) {
    const rows = await server.deps.db.selectFrom(table as "users").selectAll().execute();
    const hits = rows.filter((row) =>
      needles.some((needle) => JSON.stringify(row).toLowerCase().includes(needle))
    );
    if (hits.length > 0) found[table] = hits;
  }
  return found;
}

Deno.test("the purge removes everything personal and keeps the anonymised ledger", async (t) => {
  const server = await startTestServer();
  try {
    const admin = await adminToken(server);
    const member = await populatedMember(server, "gone@example.com", admin);
    const keeper = await populatedMember(server, "stays@example.com", admin);
    const ledger = await ledgerOf(server.deps.db, member.id).selectAll().orderBy("id").execute();
    assert.ok(ledger.length >= 4, "grants, debits and a refund");
    await server.api("DELETE", "/users/me", {
      token: member.access_token,
      body: { password: "secure123", confirmation: PHRASE },
    });
    const scheduledAt = server.clock.now().getTime();

    // The ledger rows are not in this list: they name the member's opaque ledger account only.
    await t.step("before the purge, the scan finds the member all over the schema", async () => {
      const tables = Object.keys(await rowsMentioning(server, [member.id, member.email])).sort();
      for (
        const table of [
          "audit_events",
          "credit_accounts",
          "credit_lots",
          "email_tokens",
          "jobs",
          "outbox",
          "sessions",
          "users",
        ]
      ) {
        assert.ok(tables.includes(table), `${table} in ${tables}`);
      }
    });

    await t.step("the day before the date, nothing is purged", async () => {
      server.clock.set(new Date(scheduledAt + 13 * DAY));
      assert.deepEqual(await purgeDueAccounts(server.deps, server.clock.now()), {
        accounts_purged: 0,
        orphan_folders_removed: 0,
      });
      assert.ok(
        await server.deps.db.selectFrom("users").select("id").where("id", "=", member.id)
          .executeTakeFirst(),
      );
    });

    await t.step("the day after, the member is purged and told", async () => {
      server.clock.set(new Date(scheduledAt + 15 * DAY));
      assert.deepEqual(await purgeDueAccounts(server.deps, server.clock.now()), {
        accounts_purged: 1,
        orphan_folders_removed: 0,
      });
      await server.deps.outbox.deliverDue(); // whoever sends it, it is sent once this resolves
      const final = (await server.mailTo("gone@example.com")).find((m) =>
        /has been deleted/.test(m.subject)
      );
      assert.ok(final, "a final mail says it is done");
    });

    await t.step("no row in any table mentions the member's id or email", async () => {
      assert.deepEqual(await rowsMentioning(server, [member.id, member.email]), {});
    });

    await t.step("the ledger rows are still there, anonymised, amounts intact", async () => {
      const after = await server.deps.db.selectFrom("credit_transactions").selectAll()
        .where("id", "in", ledger.map((row) => row.id)).orderBy("id").execute();
      const owner = await server.deps.db.selectFrom("credit_accounts").select("user_id")
        .where("id", "=", ledger[0].account_id).executeTakeFirstOrThrow();
      assert.equal(owner.user_id, null, "the ledger account no longer names the member");
      assert.deepEqual(
        after.map((row) => ({ ...row })),
        ledger.map((row) => ({ ...row })),
      );
    });

    await t.step(
      "the member's upload folder is gone, the other member's picture stays",
      async () => {
        assert.deepEqual(await server.deps.uploads.list(`profiles/${member.id}`), []);
        assert.equal((await server.deps.uploads.list(`profiles/${keeper.id}`)).length, 1);
      },
    );

    await t.step("the other member is untouched", async () => {
      server.clock.set(new Date(scheduledAt + 15 * DAY)); // their access token is long expired: sign in
      const login = await server.api("POST", "/auth/login", {
        body: { email: "stays@example.com", password: "secure123" },
      });
      const credits = await server.api("GET", "/users/me/credits", {
        token: login.body.access_token,
      });
      assert.equal(credits.status, 200);
      assert.ok(credits.body.balance > 0);
    });

    await t.step("the address is free to register again", async () => {
      const again = await server.api("POST", "/auth/register", {
        body: { email: "gone@example.com", password: "secure123" },
      });
      assert.equal(again.status, 201);
      assert.notEqual(again.body.user.id, member.id);
    });
  } finally {
    await server.close();
  }
});

Deno.test("a purge interrupted between commit and file deletion finishes on the next run", async () => {
  const server = await startTestServer({ DELETION_GRACE_DAYS: "0" });
  try {
    const admin = await adminToken(server);
    const member = await populatedMember(server, "crash@example.com", admin);
    await server.api("DELETE", "/users/me", {
      token: member.access_token,
      body: { password: "secure123", confirmation: PHRASE },
    });
    await assert.rejects(
      purgeDueAccounts(server.deps, server.clock.now(), {
        beforeFileDeletion: () => {
          throw new Error("power cut");
        },
      }),
      /power cut/,
    );
    assert.equal(
      await server.deps.db.selectFrom("users").select("id").where("id", "=", member.id)
        .executeTakeFirst(),
      undefined,
    );
    assert.equal(
      (await server.deps.uploads.list(`profiles/${member.id}`)).length,
      1,
      "the crash left the file",
    );

    assert.deepEqual(await purgeDueAccounts(server.deps, server.clock.now()), {
      accounts_purged: 0,
      orphan_folders_removed: 1,
    });
    assert.deepEqual(await server.deps.uploads.list(`profiles/${member.id}`), []);
    await server.deps.outbox.deliverDue();
    assert.deepEqual(await rowsMentioning(server, [member.id, member.email]), {});
  } finally {
    await server.close();
  }
});

Deno.test("the export holds every row that names the member, and no secret", async () => {
  const server = await startTestServer();
  try {
    const admin = await adminToken(server);
    const member = await populatedMember(server, "export@example.com", admin);
    const login = await server.api("POST", "/auth/login", {
      body: { email: member.email, password: "secure123" },
    });
    const res = await server.api("GET", "/users/me/export", { token: login.body.access_token });
    assert.equal(res.status, 200);
    assert.equal(res.body.profile.email, member.email);
    assert.match(
      res.body.profile.profile_picture_url,
      /^http:\/\/localhost:0\/uploads\/profiles\//,
    );

    const mentioned = await rowsMentioning(server, [member.id, member.email]);
    for (const [table, rows] of Object.entries(mentioned)) {
      if (table === "users") continue; // the profile
      const exported = res.body.records[table];
      assert.ok(exported, `table ${table} is missing from the export`);
      for (const row of rows as Record<string, unknown>[]) {
        const key = "id" in row ? "id" : "user_id";
        assert.ok(
          exported.some((e: Record<string, unknown>) => e[key] === row[key]),
          `${table} row ${row[key]} missing`,
        );
      }
    }
    const text = JSON.stringify(res.body);
    for (
      const secret of [
        "password_hash",
        "token_hash",
        "secret_sealed",
        "successor_sealed",
        "$argon2id$",
      ]
    ) {
      assert.ok(!text.includes(secret), secret);
    }
  } finally {
    await server.close();
  }
});

Deno.test("the purge-deletions job runs the purge in its worker and delivers the final notices", async () => {
  const server = await startTestServer({ DELETION_GRACE_DAYS: "0" });
  try {
    const member = await server.register("worker@example.com");
    const form = new FormData();
    form.set("file", new Blob([await encodeAs(twoToneImage(32, 32), "png")]), "me.png");
    await server.api("POST", "/users/me/profile-picture", {
      token: member.access_token,
      body: form,
    });
    await server.api("DELETE", "/users/me", {
      token: member.access_token,
      body: { password: "secure123", confirmation: PHRASE },
    });
    server.clock.advance(1000);
    assert.deepEqual(await purgeDeletionsJob.run(server.deps), {
      accounts_purged: 1,
      orphan_folders_removed: 0,
    });
    const final = (await server.mailTo("worker@example.com")).find((m) =>
      /has been deleted/.test(m.subject)
    );
    assert.ok(final);
    assert.deepEqual(await rowsMentioning(server, [member.user.id, "worker@example.com"]), {});
    assert.deepEqual(await server.deps.uploads.list(`profiles/${member.user.id}`), []);
  } finally {
    await server.close();
  }
});
