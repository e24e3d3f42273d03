import assert from "node:assert/strict";
import { Argon2id } from "oslo/password";
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
  try {
    const hash = await hasher.hash("secure123");
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await hasher.verify(hash, "secure123"), true);
    assert.equal(await hasher.verify(hash, "secure124"), false);
    assert.equal(await hasher.verify("not-a-hash", "secure123"), false);
    await hasher.verifyNothing("anything");
  } finally {
    hasher.close();
  }
});

Deno.test("argon2idHasher() computes what oslo/password's Argon2id computes, both ways", async () => {
  const hasher = argon2idHasher(1);
  const oslo = new Argon2id();
  try {
    // "ﬁ" (a ligature) and "fi" are one password after NFKC normalisation, as in oslo.
    const ours = await hasher.hash("secure-\ufb01le");
    assert.equal(await oslo.verify(ours, "secure-file"), true);
    assert.equal(await oslo.verify(ours, "secure-fil"), false);
    const theirs = await oslo.hash("secure-file");
    assert.equal(await hasher.verify(theirs, "secure-\ufb01le"), true);
    assert.equal(await hasher.verify(theirs, "secure-fil"), false);
    assert.equal(ours.split("$").slice(0, 4).join("$"), theirs.split("$").slice(0, 4).join("$"));
  } finally {
    hasher.close();
  }
});

Deno.test({
  name: "argon2idHasher() runs its hashes on Workers at the lowest CPU priority",
  ignore: Deno.build.os !== "linux", // the priority is lowered on Linux only
}, async () => {
  const probe = new URL("../helpers/password_threads.ts", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", probe.pathname],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(output.success);
  const { main, threads } = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    main: string;
    threads: Record<string, { nice: number; policy: number }>;
  };
  const SCHED_OTHER = 0, SCHED_IDLE = 5;
  const lowered = Object.values(threads).filter((t) => t.nice === 19 && t.policy === SCHED_IDLE);
  assert.equal(lowered.length, 2, JSON.stringify(threads));
  assert.deepEqual(threads[main], { nice: 0, policy: SCHED_OTHER }, "the main thread is untouched");
});
