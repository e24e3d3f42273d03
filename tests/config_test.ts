import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../src/config.ts";

Deno.test("loadConfig() gives the embedded defaults under ./data", () => {
  const config = loadConfig({});
  assert.equal(config.port, 8000);
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.databasePath, "data/vestibule.sqlite");
  assert.equal(config.uploadDir, "data/uploads");
  assert.equal(config.publicUrl, "http://localhost:8000");
  assert.equal(config.trustProxyHops, 0);
  assert.equal(config.refreshReuseIntervalSeconds, 10);
  assert.deepEqual(config.rateLimits.loginPerAccountIp, { limit: 5, windowSeconds: 900 });
  assert.deepEqual(config.rateLimits.loginPerAccount, { limit: 100, windowSeconds: 3600 });
  assert.deepEqual(config.rateLimits.emailChangePerUser, { limit: 10, windowSeconds: 3600 });
});

Deno.test("loadConfig() names every bad variable", () => {
  assert.throws(
    () => loadConfig({ PORT: "eighty", RATE_LIMIT_LOGIN_PER_IP: "lots", JWT_SECRET: "short" }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /PORT/);
      assert.match(error.message, /RATE_LIMIT_LOGIN_PER_IP: must look like <count>\/<seconds>/);
      assert.match(error.message, /JWT_SECRET: must be at least 32 characters/);
      return true;
    },
  );
});

Deno.test("loadConfig() treats empty values as unset and reads TRUST_PROXY hops", () => {
  const config = loadConfig({ PORT: "", TRUST_PROXY: "true", DATA_DIR: "/srv/v" });
  assert.equal(config.port, 8000);
  assert.equal(config.trustProxyHops, 1);
  assert.equal(config.databasePath, "/srv/v/vestibule.sqlite");
  assert.equal(loadConfig({ TRUST_PROXY: "2" }).trustProxyHops, 2);
});
