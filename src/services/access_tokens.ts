import { createHmac, timingSafeEqual } from "node:crypto";
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";

/** What an access token says: the member (`sub`) and the session it belongs to (`sid`). */
export interface AccessClaims {
  sub: string;
  sid: string;
  iat: number;
  exp: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEADER = encodeBase64urlNoPadding(
  encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })),
);

/**
 * Signs and verifies HS256 JWTs.
 *
 * Written here rather than taken from `oslo/jwt`, which reads `Date.now()` (so tests could not
 * move its clock) and re-imports the WebCrypto key on every call; this is the hot path of every
 * authenticated request. Only tokens with exactly our header are accepted, so `alg: none` and
 * algorithm confusion are impossible by construction.
 */
export class AccessTokens {
  readonly #secret: Uint8Array;
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
    const parts = token.split(".");
    if (parts.length !== 3 || parts[0] !== HEADER) return null;
    try {
      const signature = decodeBase64urlIgnorePadding(parts[2]);
      const expected = this.#sign(`${parts[0]}.${parts[1]}`);
      if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
        return null;
      }
      const claims = JSON.parse(decoder.decode(decodeBase64urlIgnorePadding(parts[1])));
      if (typeof claims?.sub !== "string" || typeof claims.sid !== "string") return null;
      if (typeof claims.exp !== "number" || claims.exp * 1000 <= now.getTime()) return null;
      return claims as AccessClaims;
    } catch {
      return null;
    }
  }
}
