import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";

/** What an access token says: the member (`sub`) and the session it belongs to (`sid`). */
export interface AccessClaims {
  sub: string;
  sid: string;
  iat: number;
  exp: number;
}

const encoder = new TextEncoder();
/** Verified tokens remembered, so a client's repeated calls skip the HMAC. */
const CACHE_SIZE = 10_000;
const HEADER = encodeBase64urlNoPadding(
  encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })),
);

/**
 * Signs and verifies HS256 JWTs.
 *
 * Written here rather than taken from `oslo/jwt`, which reads `Date.now()` (so tests could not
 * move its clock) and re-imports the WebCrypto key on every call; this is the hot path of every
 * authenticated request. Only tokens with exactly our header are accepted, so `alg: none` and
 * algorithm confusion are impossible by construction. A token verified once is remembered (up
 * to 10,000, oldest forgotten first) so repeated calls skip the HMAC; its expiry is still checked
 * on every use.
 */
export class AccessTokens {
  readonly #secret: Uint8Array;
  readonly #verified = new Map<string, AccessClaims>();
  readonly ttlSeconds: number;

  constructor(secret: Uint8Array, ttlSeconds: number) {
    this.#secret = secret;
    this.ttlSeconds = ttlSeconds;
  }

  #sign(data: string): Buffer {
    return createHmac("sha256", this.#secret).update(data).digest();
  }

  /** Issues a token for a session, valid for `ttlSeconds` from `now`. */
  issue(userId: string, sessionId: string, now: Date): string {
    const iat = Math.floor(now.getTime() / 1000);
    const claims: AccessClaims = { sub: userId, sid: sessionId, iat, exp: iat + this.ttlSeconds };
    const body = `${HEADER}.${encodeBase64urlNoPadding(encoder.encode(JSON.stringify(claims)))}`;
    return `${body}.${encodeBase64urlNoPadding(this.#sign(body))}`;
  }

  /** The claims of a token that is well formed, correctly signed and unexpired at `now`; else `null`. */
  verify(token: string, now: Date): AccessClaims | null {
    const claims = this.#verified.get(token) ?? this.#check(token);
    return claims !== null && claims.exp * 1000 > now.getTime() ? claims : null;
  }

  #check(token: string): AccessClaims | null {
    const parts = token.split(".");
    if (parts.length !== 3 || parts[0] !== HEADER) return null;
    try {
      const signature = Buffer.from(parts[2], "base64url");
      const expected = this.#sign(`${parts[0]}.${parts[1]}`);
      if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
        return null;
      }
      const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
      if (typeof claims?.sub !== "string" || typeof claims.sid !== "string") return null;
      if (typeof claims.exp !== "number") return null;
      if (this.#verified.size >= CACHE_SIZE) {
        this.#verified.delete(this.#verified.keys().next().value!);
      }
      this.#verified.set(token, claims);
      return claims as AccessClaims;
    } catch {
      return null;
    }
  }
}
