import assert from "node:assert/strict";
import { clientIp } from "../../src/http/client_ip.ts";

const request = (xff?: string) =>
  new Request("http://x/", { headers: xff === undefined ? {} : { "x-forwarded-for": xff } });

Deno.test("clientIp() ignores X-Forwarded-For unless proxies are trusted", () => {
  assert.equal(clientIp(request("1.1.1.1"), "10.0.0.2", 0), "10.0.0.2");
});

Deno.test("clientIp() takes the address the outermost trusted proxy saw", () => {
  assert.equal(clientIp(request("6.6.6.6, 1.1.1.1"), "10.0.0.2", 1), "1.1.1.1");
  assert.equal(clientIp(request("6.6.6.6, 1.1.1.1, 10.0.0.3"), "10.0.0.2", 2), "1.1.1.1");
  assert.equal(clientIp(request("1.1.1.1"), "10.0.0.2", 3), "1.1.1.1");
  assert.equal(clientIp(request(), "10.0.0.2", 1), "10.0.0.2");
  assert.equal(clientIp(request(" , "), "10.0.0.2", 1), "10.0.0.2");
});
