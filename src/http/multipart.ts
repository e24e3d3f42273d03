import { Buffer } from "node:buffer";

/** One part of a `multipart/form-data` body; `data` is a view into the body, not a copy. */
export interface FormPart {
  name: string;
  filename: string | null;
  data: Uint8Array<ArrayBuffer>;
}

/** The `boundary` parameter of a multipart content type, or `null`. */
export function multipartBoundary(contentType: string): string | null {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match ? match[1] ?? match[2] : null;
}

/**
 * Splits a `multipart/form-data` body (RFC 7578) into its parts with native byte searches and
 * zero-copy views. Deno's `Request.formData()` parses on the event loop at about 12 ms per MB;
 * this costs well under a millisecond for a 5 MB upload. `null` when the body is malformed (a
 * part without `Content-Disposition: form-data` included); a part whose name is missing or empty
 * comes back with `name: ""`, for the caller to refuse with a clear message.
 */
export function parseMultipart(body: Uint8Array<ArrayBuffer>, boundary: string): FormPart[] | null {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const separator = Buffer.from(`\r\n--${boundary}`);
  const parts: FormPart[] = [];
  let at = buffer.indexOf(delimiter);
  if (at < 0) return null;
  for (;;) {
    at += delimiter.length;
    if (buffer[at] === 0x2d && buffer[at + 1] === 0x2d) return parts; // the closing "--"
    if (buffer[at] !== 0x0d || buffer[at + 1] !== 0x0a) return null;
    const headersEnd = buffer.indexOf("\r\n\r\n", at + 2);
    if (headersEnd < 0) return null;
    const headers = buffer.toString("utf8", at + 2, headersEnd);
    const end = buffer.indexOf(separator, headersEnd + 4);
    if (end < 0) return null;
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? null;
    if (disposition === null) return null;
    // A part without a name (or with an empty one) is still a part: the caller refuses it by name.
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1] ?? "";
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? null;
    parts.push({ name, filename, data: body.subarray(headersEnd + 4, end) });
    at = end + 2;
  }
}
