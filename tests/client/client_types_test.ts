import assert from "node:assert/strict";
import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { renderApiTypes, renderAppRouterTypes } from "../../src/client_types_write.ts";
import type { AppRouter as ClientRouter } from "../../src/client/trpc.ts";
import type { AppRouter as ServerRouter } from "../../src/trpc/app_router.ts";

const root = new URL("../../", import.meta.url);

/** True only when A and B are the same type (not merely assignable one way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

// Checked by `deno check`: the client's router type is the server's, procedure for procedure.
const inputsAgree: Equal<inferRouterInputs<ClientRouter>, inferRouterInputs<ServerRouter>> = true;
const outputsAgree: Equal<inferRouterOutputs<ClientRouter>, inferRouterOutputs<ServerRouter>> =
  true;
const errorsAgree: Equal<inferRouterError<ClientRouter>, inferRouterError<ServerRouter>> = true;

Deno.test("the client's AppRouter has the server router's inputs, outputs and error shape", () => {
  assert.deepEqual([inputsAgree, outputsAgree, errorsAgree], [true, true, true]);
});

Deno.test("src/client/app_router.ts is what the router generates (run `deno task client-types`)", async () => {
  assert.equal(
    await Deno.readTextFile(new URL("src/client/app_router.ts", root)),
    renderAppRouterTypes(),
  );
});

Deno.test("src/client/api_types.ts is what openapi.json generates (run `deno task client-types`)", async () => {
  assert.equal(
    await Deno.readTextFile(new URL("src/client/api_types.ts", root)),
    await renderApiTypes(),
  );
});

Deno.test("the client entries load no server module", async () => {
  for (const entry of ["src/client/trpc.ts", "src/client/rest_client.ts"]) {
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      env: { DENO_NO_UPDATE_CHECK: "1" },
      stdout: "piped",
    }).output();
    assert.equal(code, 0);
    const graph = JSON.parse(new TextDecoder().decode(stdout)) as {
      modules: { specifier: string }[];
    };
    const local = graph.modules.map((m) => m.specifier).filter((s) => s.startsWith("file:"))
      .map((s) => s.slice(new URL("src/client/", root).href.length));
    assert.deepEqual(
      local.sort(),
      entry.endsWith("trpc.ts") ? ["app_router.ts", "trpc.ts"] : ["api_types.ts", "rest_client.ts"],
    );
  }
});
