/**
 * The client's address. From the connection, unless `trustedHops` proxies stand in front of
 * Vestibule: then from `X-Forwarded-For`, taking the address the outermost trusted proxy saw
 * (entries further left could be forged by the client).
 */
export function clientIp(
  request: Request,
  peer: string | null,
  trustedHops: number,
): string | null {
  if (trustedHops <= 0) return peer;
  const forwarded = request.headers.get("x-forwarded-for");
  if (forwarded === null) return peer;
  const hops = forwarded.split(",").map((part) => part.trim()).filter((part) => part !== "");
  if (hops.length === 0) return peer;
  return hops[Math.max(0, hops.length - trustedHops)];
}
