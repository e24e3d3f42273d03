import { DomainError, type ErrorCode } from "../services/errors.ts";
import { MAX_PICTURE_BYTES } from "../services/profile_picture.ts";
import { multipartBoundary, parseMultipart } from "./multipart.ts";

/** Room for multipart boundaries and part headers around a picture of the maximum size. */
const MULTIPART_OVERHEAD = 64 * 1024;

/** Whether a request carries `multipart/form-data`. */
export function isMultipart(request: Request): boolean {
  return /^multipart\/form-data\s*;/i.test(request.headers.get("content-type") ?? "");
}

/**
 * The body limit for a request: uploads get the picture limit (refused with the upload's own
 * message), everything else `maxBodyBytes`.
 */
export function bodyLimit(
  request: Request,
  maxBodyBytes: number,
): { limit: number; code: ErrorCode } {
  return isMultipart(request)
    ? { limit: MAX_PICTURE_BYTES + MULTIPART_OVERHEAD, code: "FILE_TOO_LARGE" }
    : { limit: maxBodyBytes, code: "PAYLOAD_TOO_LARGE" };
}

/**
 * Reads a request body, refusing it as soon as it passes `limit` bytes: a declared
 * `Content-Length` over the limit is refused before a byte is read, and a chunked body is cut off
 * at the limit, so a huge upload is never held in memory whole.
 * @throws {DomainError} `tooLarge` (`PAYLOAD_TOO_LARGE` unless told otherwise)
 */
export async function readBodyLimited(
  request: Request,
  limit: number,
  tooLarge: ErrorCode = "PAYLOAD_TOO_LARGE",
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (declared > limit) throw new DomainError(tooLarge);
  if (request.body === null) return new Uint8Array();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new DomainError(tooLarge);
    }
    chunks.push(value as Uint8Array<ArrayBuffer>);
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

/**
 * Reads a `multipart/form-data` body under the upload limit and parses it into the `FormData` a
 * procedure takes (see `parseMultipart` for why not `Request.formData()`).
 * @throws {DomainError} `NOT_MULTIPART`, `FILE_TOO_LARGE`, `MALFORMED_MULTIPART`
 */
export async function readMultipart(request: Request): Promise<FormData> {
  const boundary = isMultipart(request)
    ? multipartBoundary(request.headers.get("content-type")!)
    : null;
  if (boundary === null) throw new DomainError("NOT_MULTIPART");
  const { limit, code } = bodyLimit(request, 0);
  const parts = parseMultipart(await readBodyLimited(request, limit, code), boundary);
  if (parts === null) throw new DomainError("MALFORMED_MULTIPART");
  const form = new FormData();
  for (const part of parts) {
    if (part.filename === null) form.append(part.name, new TextDecoder().decode(part.data));
    else form.append(part.name, new Blob([part.data]), part.filename);
  }
  return form;
}
