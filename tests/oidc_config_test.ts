import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../src/config.ts";
import { isRegisteredRedirectUri } from "../src/services/oauth_flow.ts";

Deno.test("loadConfig() reads the Google variables, defaulting the issuer", () => {
  const config = loadConfig({
    GOOGLE_CLIENT_ID: "id",
    GOOGLE_CLIENT_SECRET: "secret",
    OAUTH_REDIRECT_URIS: " https://app.example/cb , http://127.0.0.1/native",
  });
  assert.deepEqual(config.oidc, {
    clientId: "id",
    clientSecret: "secret",
    issuer: "https://accounts.google.com",
  });
  assert.deepEqual(config.oauthRedirectUris, ["https://app.example/cb", "http://127.0.0.1/native"]);
  assert.equal(loadConfig({}).oidc, undefined);
});

Deno.test("loadConfig() names the Google variable at fault", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ GOOGLE_CLIENT_ID: "id" }, /GOOGLE_CLIENT_SECRET: .*set together/],
    [{ GOOGLE_CLIENT_SECRET: "s" }, /GOOGLE_CLIENT_ID: .*set together/],
    [{ GOOGLE_ISSUER: "ftp://issuer" }, /GOOGLE_ISSUER/],
    [{ OAUTH_REDIRECT_URIS: "https://ok.example/cb,not a url" }, /OAUTH_REDIRECT_URIS/],
    [{ OAUTH_REDIRECT_URIS: "https://app.example/cb#frag" }, /OAUTH_REDIRECT_URIS/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("isRegisteredRedirectUri() matches exactly, and loopback on any port (RFC 8252)", () => {
  const config = {
    oauthRedirectUris: ["https://app.example/cb", "http://127.0.0.1/native", "http://[::1]/n"],
  };
  const accepted = [
    "https://app.example/cb",
    "http://127.0.0.1/native",
    "http://127.0.0.1:1234/native",
    "http://[::1]:9/n",
  ];
  const refused = [
    "https://app.example/cb/",
    "https://app.example/cb?x=1",
    "https://app.example:444/cb",
    "http://app.example/cb",
    "https://APP.example.evil/cb",
    "http://localhost:1234/native",
    "http://127.0.0.1:1234/native/other",
    "http://127.0.0.1:1234/native#x",
    "https://127.0.0.1:1234/native",
    "not a url",
  ];
  for (const uri of accepted) assert.ok(isRegisteredRedirectUri(config, uri), uri);
  for (const uri of refused) assert.ok(!isRegisteredRedirectUri(config, uri), uri);
});
