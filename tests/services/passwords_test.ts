import assert from "node:assert/strict";
import { argon2idHasher, meetsPasswordRequirements } from "../../src/services/passwords.ts";

Deno.test("meetsPasswordRequirements() takes 8 to 128 characters not on the common list", () => {
  assert.equal(meetsPasswordRequirements("secure123"), true);
  assert.equal(meetsPasswordRequirements("x".repeat(128)), true);
  assert.equal(meetsPasswordRequirements("x".repeat(129)), false);
  assert.equal(meetsPasswordRequirements("a1b2c3d"), false);
  for (const common of ["password", "PASSWORD", "12345678", "qwerty123", "iloveyou"]) {
    assert.equal(meetsPasswordRequirements(common), false, common);
  }
});

Deno.test("argon2idHasher() verifies its own hashes and nothing else", async () => {
  const hasher = argon2idHasher();
  const hash = await hasher.hash("secure123");
  assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await hasher.verify(hash, "secure123"), true);
  assert.equal(await hasher.verify(hash, "secure124"), false);
  assert.equal(await hasher.verify("not-a-hash", "secure123"), false);
  await hasher.verifyNothing("anything");
});
