/**
 * Where a webhook may be sent: the SSRF rule. Only `http:` and `https:` URLs, and only to public
 * addresses: private (RFC 1918, unique-local), loopback, link-local, carrier-grade NAT,
 * "this network", multicast and reserved ranges are refused, IPv4-mapped and NAT64 IPv6 forms
 * included. A host name is resolved (A and AAAA) and every address it gives must be public.
 *
 * The check runs at registration and again right before each attempt (a name that resolved to a
 * public address when registered may point inward later: DNS rebinding). `fetch` then resolves
 * the name once more itself; a resolver that answers differently within those milliseconds could
 * still steer one request inward. Closing that window needs connecting to the checked address
 * while keeping the name for TLS, which Deno's `fetch` does not offer; README states this
 * residual risk. Redirects are never followed, so a public endpoint cannot bounce a request
 * inward.
 */

const v4Blocked: [number, number][] = [
  [0x00000000, 8], // 0.0.0.0/8 "this network"
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10 carrier-grade NAT
  [0x7f000000, 8], // 127/8 loopback
  [0xa9fe0000, 16], // 169.254/16 link-local (cloud metadata)
  [0xac100000, 12], // 172.16/12
  [0xc0000000, 24], // 192.0.0/24 IETF protocol assignments
  [0xc0000200, 24], // 192.0.2/24 documentation
  [0xc0a80000, 16], // 192.168/16
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xc6336400, 24], // 198.51.100/24 documentation
  [0xcb007100, 24], // 203.0.113/24 documentation
  [0xe0000000, 4], // 224/4 multicast
  [0xf0000000, 4], // 240/4 reserved, broadcast
];

function parseV4(address: string): number | null {
  const parts = address.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

function parseV6(address: string): number[] | null {
  let text = address.toLowerCase();
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted IPv4 (::ffff:1.2.3.4) becomes two groups.
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseV4(tail);
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${
      (v4 & 0xffff).toString(16)
    }`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string) => half === "" ? [] : half.split(":");
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const words = all.map((group) => /^[0-9a-f]{1,4}$/.test(group) ? parseInt(group, 16) : NaN);
  return words.some(Number.isNaN) ? null : words;
}

function blockedV4(value: number): boolean {
  return v4Blocked.some(([base, bits]) => (value >>> (32 - bits)) === (base >>> (32 - bits)));
}

/**
 * Whether an IP address (v4 or v6 text) is in a range webhooks may not reach; anything that does
 * not parse as an address counts as blocked.
 */
export function isBlockedAddress(address: string): boolean {
  const v4 = parseV4(address);
  if (v4 !== null) return blockedV4(v4);
  const w = parseV6(address);
  if (w === null) return true;
  const embeddedV4 = (w[6] * 65536 + w[7]) >>> 0;
  if (w.slice(0, 7).every((x) => x === 0) && w[7] <= 1) return true; // :: and ::1
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) return blockedV4(embeddedV4);
  if (w[0] === 0x64 && w[1] === 0xff9b && w.slice(2, 6).every((x) => x === 0)) {
    return blockedV4(embeddedV4); // NAT64
  }
  if ((w[0] & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((w[0] & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((w[0] & 0xffc0) === 0xfec0) return true; // fec0::/10 old site-local
  if ((w[0] & 0xff00) === 0xff00) return true; // multicast
  if (w[0] === 0x2001 && w[1] === 0x0db8) return true; // documentation
  return false;
}

/** Why a URL is not an acceptable webhook destination, or `null` when it is. */
export type DestinationCheck = (url: string) => Promise<string | null>;

/**
 * Checks a webhook URL: scheme, then (unless `allowPrivate`) every address its host resolves to.
 * Answers the reason for a refusal, worded for an operator, or `null`.
 */
export async function checkDestination(url: string, allowPrivate: boolean): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "url must be an absolute http or https URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return "url must use http or https";
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return "url must not contain credentials";
  }
  if (allowPrivate) return null;
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const literal = parseV4(host) !== null || host.includes(":");
  let addresses: string[];
  if (literal) {
    addresses = [host];
  } else {
    const [a, aaaa] = await Promise.all([
      Deno.resolveDns(host, "A").catch(() => [] as string[]),
      Deno.resolveDns(host, "AAAA").catch(() => [] as string[]),
    ]);
    addresses = [...a, ...aaaa];
    if (addresses.length === 0) return "url host does not resolve";
  }
  if (addresses.some(isBlockedAddress)) {
    return "url points to a private, loopback or link-local address " +
      "(set WEBHOOK_ALLOW_PRIVATE=true to allow it)";
  }
  return null;
}
