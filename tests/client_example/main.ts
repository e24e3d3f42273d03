/**
 * An app that is not Vestibule: it holds a copy of Vestibule's `src/client/` in `./vestibule/`
 * and calls a running Vestibule through both clients. `tsc --noEmit` and `deno check` compile it
 * (tests/client/client_example_test.ts); given a URL it signs up, signs in over tRPC and reads
 * the profile over REST.
 *
 * Usage: deno run --allow-net main.ts http://localhost:8000
 */
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "./vestibule/trpc.ts";
import { createVestibuleClient } from "./vestibule/rest_client.ts";

/** Signs a new member up, signs in over tRPC, reads the profile over REST, prints a summary. */
export async function run(baseUrl: string): Promise<Record<string, unknown>> {
  let token: string | undefined;
  const trpc = createTRPCClient<AppRouter>({
    links: [httpLink({
      url: `${baseUrl}/trpc`,
      headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
    })],
  });
  const rest = createVestibuleClient(baseUrl, () => token);

  const email = `example-${Date.now()}@example.com`;
  const signedUp = await rest.POST("/auth/register", {
    body: { email, password: "correct horse battery", name: "Example App" },
  });
  if (signedUp.error) throw new Error(`register: ${signedUp.error.code} ${signedUp.error.detail}`);

  const signedIn = await trpc.auth.login.mutate({ email, password: "correct horse battery" });
  token = signedIn.access_token;

  const me = await rest.GET("/users/me");
  if (me.error) throw new Error(`me: ${me.error.code} ${me.error.detail}`);

  let wrongPasswordCode: string | undefined;
  try {
    await trpc.auth.login.mutate({ email, password: "not the password" });
  } catch (error) {
    if (error instanceof TRPCClientError) wrongPasswordCode = error.data?.code;
  }
  const refused = await rest.PATCH("/users/me", { body: { phone: "+1" } });

  return {
    name: me.data.name,
    email_matches: me.data.email === email,
    sessions: (await trpc.users.sessions.query()).sessions.length, // sign-up and sign-in
    wrong_password: wrongPasswordCode,
    bad_phone: refused.error?.code,
  };
}

const url = process.argv[2];
if (url) console.log(JSON.stringify(await run(url)));
