import { sha256 } from "@oslojs/crypto/sha2";
import {
  decodeBase64urlIgnorePadding,
  encodeBase64urlNoPadding,
  encodeHexLowerCase,
} from "@oslojs/encoding";

const encoder = new TextEncoder();

/** A new opaque token: 32 random bytes, base64url without padding (43 characters). */
export function generateOpaqueToken(): string {
  return encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
}

/** The SHA-256 of a token, hex: the only form in which an opaque token is ever stored. */
export function hashToken(token: string): string {
  return encodeHexLowerCase(sha256(encoder.encode(token)));
}

async function keyFrom(token: string): Promise<CryptoKey> {
  // Domain-separated from hashToken(): the stored hash cannot be used as this key.
  const material = sha256(encoder.encode(`vestibule:seal:${token}`));
  return await crypto.subtle.importKey("raw", new Uint8Array(material), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
}

/**
 * Encrypts `secret` under a key derived from `token` (AES-256-GCM). Only someone holding `token`
 * can open it again; the database, which holds only the token's hash, cannot.
 */
export async function sealWithToken(token: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await keyFrom(token),
    encoder.encode(secret),
  );
  const sealed = new Uint8Array(iv.length + ciphertext.byteLength);
  sealed.set(iv);
  sealed.set(new Uint8Array(ciphertext), iv.length);
  return encodeBase64urlNoPadding(sealed);
}

/** Opens what `sealWithToken` sealed; `null` when the token is not the one it was sealed with. */
export async function openWithToken(token: string, sealed: string): Promise<string | null> {
  try {
    const bytes = decodeBase64urlIgnorePadding(sealed);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: new Uint8Array(bytes.subarray(0, 12)) },
      await keyFrom(token),
      new Uint8Array(bytes.subarray(12)),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}
