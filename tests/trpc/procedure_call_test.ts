import assert from "node:assert/strict";
import { type AnyProcedure, callTRPCProcedure, TRPCError } from "@trpc/server";
import { appRouter } from "../../src/trpc/app_router.ts";
import { createContextInner } from "../../src/trpc/context.ts";
import { describeError } from "../../src/trpc/error_body.ts";
import { compileProcedureCall } from "../../src/trpc/procedure_call.ts";
import { startTestServer } from "../helpers/test_server.ts";

type Outcome = { data: unknown } | { error: { name: string; code: string; described: unknown } };

async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { data: await call() };
  } catch (error) {
    assert.ok(error instanceof TRPCError, `expected a TRPCError, got ${error}`);
    return { error: { name: error.name, code: error.code, described: describeError(error) } };
  }
}

Deno.test("a compiled procedure call answers exactly as tRPC's own call does", async (t) => {
  const server = await startTestServer();
  try {
    const member = await server.register("call@example.com");
    const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;

    /** Runs the call both ways on the same context and input; returns the (shared) outcome. */
    const same = async (path: string, input: unknown, token?: string): Promise<Outcome> => {
      const ctx = createContextInner(server.deps, {
        authorization: token === undefined ? null : `Bearer ${token}`,
      });
      const procedure = procedures[path];
      const ours = await outcome(() => compileProcedureCall(path, procedure)(ctx, input));
      const theirs = await outcome(() =>
        callTRPCProcedure({
          router: appRouter,
          path,
          type: procedure._def.type,
          ctx,
          getRawInput: () => Promise.resolve(input),
          signal: undefined,
          batchIndex: 0,
        })
      );
      assert.deepEqual(ours, theirs);
      return ours;
    };

    await t.step("output of a protected query", async () => {
      const result = await same("users.me", undefined, member.access_token);
      assert.ok("data" in result);
      assert.equal((result.data as { email: string }).email, "call@example.com");
    });

    await t.step("parsed input of a mutation, and its output", async () => {
      const result = await same("users.updateMe", { name: "Same Both Ways" }, member.access_token);
      assert.ok("data" in result);
      assert.equal((result.data as { name: string }).name, "Same Both Ways");
    });

    await t.step("coerced query input", async () => {
      const result = await same(
        "credits.transactions",
        { page: "1", limit: "5" },
        member.access_token,
      );
      assert.ok("data" in result);
    });

    await t.step("no token, a bad token: the authentication middleware's errors", async () => {
      for (const token of [undefined, "not-a-jwt"]) {
        const result = await same("users.me", undefined, token);
        assert.ok("error" in result && result.error.code === "UNAUTHORIZED");
      }
    });

    await t.step("invalid input and unknown fields: the input parser's errors", async () => {
      for (const input of [{ name: "x" }, { name: "Fine Name", admin: true }, "not an object"]) {
        const result = await same("users.updateMe", input, member.access_token);
        assert.ok("error" in result && result.error.code === "BAD_REQUEST", JSON.stringify(input));
      }
    });

    await t.step("a service's DomainError and a middleware after authentication", async () => {
      const wrong = await same("auth.login", { email: "call@example.com", password: "wrong-pass" });
      assert.ok("error" in wrong && wrong.error.code === "UNAUTHORIZED");
      const notAdmin = await same(
        "admin.grantCredits",
        { id: member.user.id, amount: 5 },
        member.access_token,
      );
      assert.ok("error" in notAdmin && notAdmin.error.code === "FORBIDDEN");
    });
  } finally {
    await server.close();
  }
});
