import assert from "node:assert/strict";
import { runCli } from "../src/cli.ts";
import { openCreditAccount } from "../src/data/credit_accounts.ts";
import { insertLot } from "../src/data/credit_lots.ts";
import { appendTransaction } from "../src/data/credit_transactions.ts";
import { writeTransaction } from "../src/data/transactions.ts";
import { registerAdmin, registerMember } from "./helpers/credits.ts";
import { encodeAs, twoToneImage } from "./helpers/images.ts";
import { createTestDatabase, onPostgres } from "./helpers/test_database.ts";
import { startTestServer, type TestServer } from "./helpers/test_server.ts";

const SECRET = "one secret for the SQLite and the PostgreSQL instance";

Deno.test({
  name: "copy-database moves a SQLite deployment to PostgreSQL, which then answers the same",
  ignore: !onPostgres,
  fn: async () => {
    // A SQLite deployment (DATABASE_URL empty: SQLite even in the PostgreSQL run).
    const sqlite = await startTestServer({ DATABASE_URL: "", JWT_SECRET: SECRET });
    const database = await createTestDatabase();
    let postgres: TestServer | undefined;
    try {
      const admin = await registerAdmin(sqlite, "admin@example.com");
      const ann = await registerMember(sqlite, "ann@example.com");
      const bob = await registerMember(sqlite, "bob@example.com");
      const picture = new FormData();
      picture.set("file", new Blob([await encodeAs(twoToneImage(64, 64), "png")]), "me.png");
      const uploaded = await sqlite.api("POST", "/users/me/profile-picture", {
        token: ann.token,
        body: picture,
      });
      assert.equal(uploaded.status, 200);
      for (const [member, amount] of [[ann, 50], [bob, 20]] as const) {
        const grant = await sqlite.api("POST", `/admin/users/${member.id}/credits`, {
          token: admin.token,
          body: { amount, source: "promo", expires_at: "2027-01-01T00:00:00.000Z" },
        });
        assert.equal(grant.status, 201, JSON.stringify(grant.body));
      }
      const job = await sqlite.api("POST", `/admin/users/${ann.id}/jobs`, {
        token: admin.token,
        body: { kind: "render", credits_cost: 7 },
      });
      assert.equal(job.status, 201, JSON.stringify(job.body));
      // 10,000 ledger rows for Ann, each grant with its lot, as the ledger writes them.
      const now = sqlite.clock.now().toISOString();
      await writeTransaction(sqlite.deps.db, async (trx) => {
        const account = (await openCreditAccount(trx, ann.id))!;
        for (let i = 0; i < 10_000; i++) {
          await insertLot(trx, {
            id: crypto.randomUUID(),
            user_id: ann.id,
            source: "bulk",
            description: null,
            granted: 1,
            remaining: 1,
            expires_at: null,
            created_at: now,
          });
          await appendTransaction(trx, account, {
            type: "grant",
            amount: 1,
            description: `bulk ${i}`,
          }, now);
        }
      });

      assert.equal(
        await runCli(["copy-database", "--to", database.url], sqlite.cliEnv),
        0,
      );
      assert.equal(
        await runCli(["copy-database", "--to", database.url], sqlite.cliEnv),
        1,
        "never into a database that holds rows",
      );

      postgres = await startTestServer({
        DATABASE_URL: database.url,
        JWT_SECRET: SECRET,
        UPLOAD_DIR: sqlite.deps.config.uploadDir,
      });
      const paths = [
        "/users/me",
        "/users/me/credits",
        "/users/me/transactions?page=1&limit=50",
        "/users/me/transactions?page=150&limit=50",
        "/users/me/transactions?type=debit",
        "/users/me/jobs",
        "/users/me/stats",
        "/users/me/sessions",
      ];
      const servers: TestServer[] = [sqlite, postgres];
      for (const member of [admin, ann, bob]) {
        for (const path of paths) {
          const [before, after] = await Promise.all(
            servers.map((server) => server.api("GET", path, { token: member.token })),
          );
          assert.equal(before.status, 200, `${path}: ${JSON.stringify(before.body)}`);
          assert.deepEqual(after.body, before.body, `${member.email} ${path}`);
        }
      }
      const transactions = await postgres.api("GET", "/users/me/transactions?limit=1", {
        token: ann.token,
      });
      assert.equal(transactions.body.pagination.total, 10_002);
      // The picture is served by the new instance from the shared upload directory.
      const me = await postgres.api("GET", "/users/me", { token: ann.token });
      const served = await fetch(`${postgres.url}${me.body.profile_picture}`);
      assert.equal(served.status, 200);
      await served.body?.cancel();
      // New rows get fresh ids: the identity sequences moved past the copied ones.
      const signedIn = await postgres.api("POST", "/auth/login", {
        body: { email: "bob@example.com", password: "secure123" },
      });
      assert.equal(signedIn.status, 200);
      const refreshed = await postgres.api("POST", "/auth/refresh", {
        body: { refresh_token: signedIn.body.refresh_token },
      });
      assert.equal(refreshed.status, 200);
    } finally {
      await postgres?.close();
      await sqlite.close();
      await database.drop();
    }
  },
});
