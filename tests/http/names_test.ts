import assert from "node:assert/strict";
import { startTestServer } from "../helpers/test_server.ts";

const REFUSED = "Name may contain only letters, numbers and spaces";

Deno.test("names: letters of any script, combining marks, digits and spaces", async (t) => {
  const server = await startTestServer();
  try {
    const { access_token: token } = await server.register("names@example.com");
    const patch = (name: string) => server.api("PATCH", "/users/me", { token, body: { name } });

    await t.step("accepted and stored as typed (trimmed)", async () => {
      for (
        const name of ["José María", "李雷", "Zoë 2", "Jose\u0301 Mari\u0301a", "Ἀλέξανδρος", "ab"]
      ) {
        const res = await patch(`  ${name} `);
        assert.deepEqual([res.status, res.body.name], [200, name], name);
      }
    });

    await t.step("everything else is refused with 400 and changes nothing", async () => {
      const refused = [
        "Nul\u0000Byte",
        "Tab\tName",
        "Line\nBreak",
        "<b>Bold</b>",
        "Robert'); DROP TABLE users;--",
        "Smile 😀",
        "A$AP",
        "dash-name",
        "a\u200Bb", // zero-width space
      ];
      for (const name of refused) {
        const res = await patch(name);
        assert.deepEqual(
          [res.status, res.body.detail, res.body.code],
          [400, REFUSED, "VALIDATION_ERROR"],
          JSON.stringify(name),
        );
      }
      const me = await server.api("GET", "/users/me", { token });
      assert.equal(me.body.name, "ab");
    });

    await t.step("too short keeps its contract message; 100 characters is the most", async () => {
      const short = await patch("P");
      assert.deepEqual([short.status, short.body.detail], [
        400,
        "Name must be at least 2 characters",
      ]);
      assert.equal((await patch("x".repeat(100))).status, 200);
      assert.equal((await patch("x".repeat(101))).status, 400);
    });

    await t.step("registration applies the same rule, to name and display_name", async () => {
      for (const field of ["name", "display_name"]) {
        const res = await server.api("POST", "/auth/register", {
          body: { email: `${field}@example.com`, password: "secure123", [field]: "Eve\u0000" },
        });
        assert.deepEqual([res.status, res.body.detail], [400, REFUSED], field);
      }
      const users = await server.deps.db.selectFrom("users").select("email").execute();
      assert.deepEqual(users.map((u) => u.email), ["names@example.com"]);
    });

    await t.step("tRPC refuses the same names", async () => {
      await assert.rejects(
        server.trpc(token).users.updateMe.mutate({ name: "<script>" }),
        (error: Error) => error.message.includes(REFUSED),
      );
    });

    await t.step("the OpenAPI document carries the pattern", async () => {
      const doc = await (await fetch(`${server.url}/openapi.json`)).json();
      const schema = doc.paths["/users/me"].patch.requestBody.content["application/json"].schema;
      const name = schema.properties.name;
      assert.equal(name.pattern, "^[\\p{L}\\p{M}\\p{N} ]+$");
      assert.ok(new RegExp(name.pattern, "u").test("李雷"));
    });
  } finally {
    await server.close();
  }
});
