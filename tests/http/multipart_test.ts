import assert from "node:assert/strict";
import { multipartBoundary, parseMultipart } from "../../src/http/multipart.ts";

async function encode(
  form: FormData,
): Promise<{ body: Uint8Array<ArrayBuffer>; boundary: string }> {
  const request = new Request("http://x/", { method: "POST", body: form });
  const boundary = multipartBoundary(request.headers.get("content-type")!);
  assert.ok(boundary);
  return { body: new Uint8Array(await request.arrayBuffer()), boundary };
}

Deno.test("parseMultipart() reads what fetch encodes: files byte for byte, and fields", async () => {
  const bytes = crypto.getRandomValues(new Uint8Array(60_000));
  bytes.set(new TextEncoder().encode("\r\n--"), 1000); // a delimiter-like run inside the data
  const form = new FormData();
  form.set("note", "hello");
  form.set("file", new Blob([bytes]), "photo.jpg");
  const { body, boundary } = await encode(form);
  const parts = parseMultipart(body, boundary)!;
  assert.deepEqual(parts.map((p) => [p.name, p.filename]), [["note", null], ["file", "photo.jpg"]]);
  assert.equal(new TextDecoder().decode(parts[0].data), "hello");
  assert.deepEqual(parts[1].data, bytes);
});

Deno.test("parseMultipart() refuses malformed bodies", async () => {
  const { body, boundary } = await encode((() => {
    const f = new FormData();
    f.set("file", new Blob(["x"]), "a.jpg");
    return f;
  })());
  assert.equal(parseMultipart(body, "another-boundary"), null);
  assert.equal(parseMultipart(body.slice(0, body.length - 20), boundary), null, "truncated");
  assert.equal(parseMultipart(new TextEncoder().encode(`--${boundary}\r\nno end`), boundary), null);
  const nameless = new TextEncoder().encode(`--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--`);
  assert.equal(parseMultipart(nameless, "b"), null);
  assert.deepEqual(parseMultipart(new TextEncoder().encode("--b--"), "b"), []);
});

Deno.test('parseMultipart() returns a part with a missing or empty name as name ""', () => {
  const body = new TextEncoder().encode(
    `--b\r\nContent-Disposition: form-data; name=""\r\n\r\nx\r\n` +
      `--b\r\nContent-Disposition: form-data; filename="a.png"\r\n\r\ny\r\n--b--`,
  );
  const parts = parseMultipart(body, "b")!;
  assert.deepEqual(parts.map((p) => [p.name, p.filename]), [["", null], ["", "a.png"]]);
});

Deno.test("multipartBoundary() reads quoted and bare boundaries", () => {
  assert.equal(multipartBoundary("multipart/form-data; boundary=abc"), "abc");
  assert.equal(multipartBoundary('multipart/form-data; boundary="a b"'), "a b");
  assert.equal(multipartBoundary("multipart/form-data"), null);
});
