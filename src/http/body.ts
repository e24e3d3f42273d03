import { DomainError } from "../services/errors.ts";

/**
 * Reads a request body, refusing it as soon as it passes `limit` bytes: a declared
 * `Content-Length` over the limit is refused before a byte is read, and a chunked body is cut off
 * at the limit, so a huge upload is never held in memory whole.
 * @throws {DomainError} `PAYLOAD_TOO_LARGE`
 */
export async function readBodyLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (declared > limit) throw new DomainError("PAYLOAD_TOO_LARGE");
  if (request.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new DomainError("PAYLOAD_TOO_LARGE");
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * Parses a JSON request body read under the size limit; an empty body reads as `{}` so the
 * schema names the missing fields.
 * @throws {DomainError} `UNSUPPORTED_MEDIA_TYPE` unless the body is JSON, `MALFORMED_JSON`,
 *   `PAYLOAD_TOO_LARGE`
 */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const bytes = await readBodyLimited(request, limit);
  if (bytes.byteLength === 0) return {};
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/(.+\+)?json\s*(;|$)/i.test(type)) {
    throw new DomainError("UNSUPPORTED_MEDIA_TYPE");
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new DomainError("MALFORMED_JSON");
  }
}
