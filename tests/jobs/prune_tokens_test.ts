import assert from "node:assert/strict";
import { claimJobRun } from "../../src/data/job_runs.ts";
import { DatabaseRateLimitStore } from "../../src/data/rate_limits.ts";
import { pruneTokens } from "../../src/jobs/prune_tokens.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("pruneTokens() deletes what no longer serves and keeps what still does", async () => {
  const server = await startTestServer();
  const db = server.deps.db;
  const count = async (table: "sessions" | "refresh_tokens" | "email_tokens" | "outbox") =>
    Number(
      (await db.selectFrom(table).select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()).n,
    );
  try {
    const live = await server.register("live@example.com");
    const gone = await server.register("gone@example.com");
    await server.api("POST", "/auth/refresh", { body: { refresh_token: live.refresh_token } }); // one spent token
    await server.api("POST", "/auth/logout", { body: { refresh_token: gone.refresh_token } });
    await server.mailbox();
    const at = server.clock.now();
    assert.ok(await claimJobRun(db, "deliver-mail", at.toISOString(), at.toISOString()));
    await new DatabaseRateLimitStore(db).increment("login-ip:198.51.100.1", 3600_000, at.getTime());
    // On PostgreSQL the test's own sign-ups and refreshes counted windows too (each ends within
    // the hour); on SQLite the limiter counts in memory and this one window is the table's only row.
    const windows = Number(
      (await db.selectFrom("rate_limits").select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()).n,
    );
    assert.deepEqual(
      [
        await count("sessions"),
        await count("refresh_tokens"),
        await count("email_tokens"),
        await count("outbox"),
      ],
      [2, 3, 2, 2],
    );

    // Twelve hours on: nothing is old enough yet; the spent token of a live session stays.
    assert.deepEqual(
      await pruneTokens(db, new Date(server.clock.now().getTime() + 12 * 3600_000)),
      {
        sessions: 0,
        refresh_tokens: 0,
        email_tokens: 0,
        mail: 0,
        rate_limits: windows, // their hour is over
        job_runs: 0, // a claim is kept a day
      },
    );

    // 31 days on: the logged-out session, every token past its expiry, unused links past 24 h
    // and mail sent a month ago all go.
    const later = new Date(server.clock.now().getTime() + 31 * 86_400_000);
    assert.deepEqual(await pruneTokens(db, later), {
      sessions: 1,
      refresh_tokens: 2,
      email_tokens: 2,
      mail: 2,
      rate_limits: 0,
      job_runs: 1,
    });
    assert.deepEqual([await count("sessions"), await count("refresh_tokens")], [1, 0]);
  } finally {
    await server.close();
  }
});
