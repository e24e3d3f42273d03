import assert from "node:assert/strict";
import { checkDestination, isBlockedAddress } from "../../src/webhooks/destination.ts";

Deno.test("isBlockedAddress() refuses private, loopback, link-local and reserved ranges", () => {
  const blocked = [
    "127.0.0.1",
    "127.255.0.9",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "ff02::1",
    "not an address",
  ];
  const allowed = [
    "93.184.216.34",
    "8.8.8.8",
    "172.32.0.1",
    "192.169.0.1",
    "100.128.0.1",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
    "2a00:1450:4007:80e::200e",
  ];
  for (const address of blocked) assert.equal(isBlockedAddress(address), true, address);
  for (const address of allowed) assert.equal(isBlockedAddress(address), false, address);
});

Deno.test("checkDestination() takes only http(s), and only public addresses unless allowed", async () => {
  const privateRefusal =
    "url points to a private, loopback or link-local address (set WEBHOOK_ALLOW_PRIVATE=true to allow it)";
  const cases: [string, string | null][] = [
    ["ftp://example.com/x", "url must use http or https"],
    ["file:///etc/passwd", "url must use http or https"],
    ["not a url", "url must be an absolute http or https URL"],
    ["http://user:pw@93.184.216.34/", "url must not contain credentials"],
    ["http://127.0.0.1:8080/hooks", privateRefusal],
    ["http://127.1/hooks", privateRefusal],
    ["http://2130706433/hooks", privateRefusal],
    ["http://[::1]/hooks", privateRefusal],
    ["http://[::ffff:169.254.169.254]/latest", privateRefusal],
    ["https://10.1.2.3/hooks", privateRefusal],
    ["https://93.184.216.34/hooks", null],
  ];
  for (const [url, expected] of cases) {
    assert.equal(await checkDestination(url, false), expected, url);
  }
  assert.equal(await checkDestination("http://127.0.0.1:8080/hooks", true), null);
  assert.equal(await checkDestination("ftp://127.0.0.1/", true), "url must use http or https");
});
