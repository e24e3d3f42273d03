import assert from "node:assert/strict";
import { decode, Image } from "imagescript";
import { readHeader, sniffType } from "../../src/images/inspect.ts";
import { ImageRejected, processImage } from "../../src/images/process.ts";
import { encodeAs, pngHeaderOnly, twoToneImage, withExifOrientation } from "../helpers/images.ts";

const rejects = (bytes: Uint8Array, reason: string) =>
  assert.rejects(
    processImage(bytes),
    (e: unknown) => e instanceof ImageRejected && e.reason === reason,
  );

Deno.test("readHeader() reads type and size of JPEG, PNG and WebP without decoding", async () => {
  for (const type of ["jpeg", "png", "webp"] as const) {
    const header = readHeader(await encodeAs(twoToneImage(321, 123), type));
    assert.deepEqual(header, { type, width: 321, height: 123, orientation: 1 }, type);
  }
  assert.equal(sniffType(new TextEncoder().encode("hello, world")), null);
});

Deno.test("processImage() fits into 400x400 keeping the aspect ratio, never upscaling", async () => {
  for (const type of ["jpeg", "png", "webp"] as const) {
    const out = await decode(
      await processImage(await encodeAs(twoToneImage(1200, 600), type)),
    ) as Image;
    assert.deepEqual([out.width, out.height], [400, 200], type);
  }
  const small = await decode(
    await processImage(await encodeAs(twoToneImage(120, 80), "png")),
  ) as Image;
  assert.deepEqual([small.width, small.height], [120, 80]);
});

Deno.test("processImage() stands a JPEG upright by its EXIF orientation and drops metadata", async () => {
  // Orientation 6: the camera was turned; the stored 200x100 picture shows upright as 100x200,
  // its left half (red) on top.
  const jpeg = withExifOrientation(await encodeAs(twoToneImage(200, 100), "jpeg"), 6);
  assert.equal(readHeader(jpeg)?.orientation, 6);
  const processed = await processImage(jpeg);
  assert.equal(readHeader(processed)?.orientation, 1, "no EXIF left");
  assert.ok(!new TextDecoder("latin1").decode(processed).includes("Exif"));
  const out = await decode(processed) as Image;
  assert.deepEqual([out.width, out.height], [100, 200]);
  const [topR, , topB] = Image.colorToRGBA(out.getPixelAt(50, 20));
  const [bottomR, , bottomB] = Image.colorToRGBA(out.getPixelAt(50, 180));
  assert.ok(topR > 200 && topB < 60, "red on top");
  assert.ok(bottomB > 200 && bottomR < 60, "blue below");
});

Deno.test("processImage() refuses what is not an accepted image, cheaply", async () => {
  await rejects(new TextEncoder().encode("just some text, not a picture"), "unsupported_type");
  await rejects(
    new TextEncoder().encode("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    "unsupported_type",
  );
  await rejects(
    new Uint8Array([0x42, 0x4d, 0x3a, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0]),
    "unsupported_type",
  );
  await rejects(await encodeAs(twoToneImage(3000, 10), "png"), "too_large_dimensions");
  // Refused from the header, without decoding: the bomb has no pixel data at all, so a decode
  // would have failed as "undecodable" (as the small header-only PNG below does).
  const bomb = pngHeaderOnly(30000, 30000);
  assert.equal(readHeader(bomb)?.width, 30000);
  await rejects(bomb, "too_large_dimensions");
  const truncated = (await encodeAs(twoToneImage(300, 300), "jpeg")).subarray(0, 400);
  await rejects(truncated, "undecodable");
  await rejects(pngHeaderOnly(100, 100), "undecodable");
});
