/** The OpenID provider process tests sign in against (see oidc_provider.mjs). */
export interface TestOidcProvider {
  issuer: string;
  /** What the next ID token says: claims merged in (`null` removes one), or a foreign key. */
  next(options: { claims?: Record<string, unknown>; wrongKey?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts oauth2-mock-server under Node 20 in its own process on 127.0.0.1 (the package is
 * installed into node_modules by `deno install`, from deno.json's imports).
 */
export async function startOidcProvider(): Promise<TestOidcProvider> {
  const child = new Deno.Command("/usr/bin/node", {
    args: [new URL("./oidc_provider.mjs", import.meta.url).pathname],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error("the OpenID provider did not start");
    text += chunk.value;
  }
  const { issuer, control } = JSON.parse(text.slice(0, text.indexOf("\n")));
  return {
    issuer,
    next: async (options) => {
      const response = await fetch(control, { method: "POST", body: JSON.stringify(options) });
      await response.body?.cancel();
    },
    close: async () => {
      await child.stdin.close();
      await reader.cancel().catch(() => {});
      await child.status;
    },
  };
}
