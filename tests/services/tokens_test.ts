import assert from "node:assert/strict";
import {
  generateOpaqueToken,
  hashToken,
  openWithToken,
  sealWithToken,
} from "../../src/services/tokens.ts";

Deno.test("generateOpaqueToken() gives 32 random bytes, base64url", () => {
  const a = generateOpaqueToken();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, generateOpaqueToken());
});

Deno.test("hashToken() is the hex SHA-256", () => {
  assert.equal(
    hashToken("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("sealWithToken() opens only with the same token", async () => {
  const sealed = await sealWithToken("parent", "successor");
  assert.ok(!sealed.includes("successor"));
  assert.equal(await openWithToken("parent", sealed), "successor");
  assert.equal(await openWithToken("other", sealed), null);
  assert.equal(await openWithToken(hashToken("parent"), sealed), null, "the stored hash is no key");
  assert.equal(await openWithToken("parent", "garbage"), null);
});
