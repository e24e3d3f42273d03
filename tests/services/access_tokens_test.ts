import assert from "node:assert/strict";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { AccessTokens } from "../../src/services/access_tokens.ts";

const secret = new TextEncoder().encode("0123456789abcdef0123456789abcdef");
const now = new Date("2026-11-23T10:00:00Z");

Deno.test("AccessTokens.verify() accepts its own token until it expires", () => {
  const tokens = new AccessTokens(secret, 900);
  const token = tokens.issue("user-1", "session-1", now);
  assert.deepEqual(tokens.verify(token, now), {
    sub: "user-1",
    sid: "session-1",
    iat: now.getTime() / 1000,
    exp: now.getTime() / 1000 + 900,
  });
  assert.ok(tokens.verify(token, new Date(now.getTime() + 899_000)));
  assert.equal(tokens.verify(token, new Date(now.getTime() + 900_000)), null);
});

Deno.test("AccessTokens.verify() refuses another key, a changed payload and alg none", () => {
  const tokens = new AccessTokens(secret, 900);
  const token = tokens.issue("user-1", "session-1", now);
  const other = new AccessTokens(new TextEncoder().encode("another-secret-another-secret-xx"), 900);
  assert.equal(other.verify(token, now), null);
  const [header, , signature] = token.split(".");
  const payload = encodeBase64urlNoPadding(
    new TextEncoder().encode(JSON.stringify({ sub: "admin", sid: "session-1", exp: 9e9 })),
  );
  assert.equal(tokens.verify(`${header}.${payload}.${signature}`, now), null);
  const none = encodeBase64urlNoPadding(new TextEncoder().encode('{"alg":"none","typ":"JWT"}'));
  assert.equal(tokens.verify(`${none}.${payload}.`, now), null);
  assert.equal(tokens.verify("garbage", now), null);
});
