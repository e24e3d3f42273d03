import { Image } from "imagescript";

/** A test picture: a left half red and a right half blue, so orientation can be checked. */
export function twoToneImage(width: number, height: number): Image {
  const image = new Image(width, height);
  image.fill((x) => x <= width / 2 ? 0xff0000ff : 0x0000ffff);
  return image;
}

/** Encodes a generated image in each accepted format. */
export async function encodeAs(
  image: Image,
  type: "jpeg" | "png" | "webp",
): Promise<Uint8Array<ArrayBuffer>> {
  const encoded = type === "jpeg"
    ? await image.encodeJPEG(90)
    : type === "webp"
    ? await image.encodeWEBP(90)
    : await image.encode(1);
  return new Uint8Array(encoded);
}

/** A JPEG with an EXIF APP1 segment carrying `orientation`, inserted right after SOI. */
export function withExifOrientation(
  jpeg: Uint8Array,
  orientation: number,
): Uint8Array<ArrayBuffer> {
  const tiff = [
    0x4d,
    0x4d,
    0x00,
    0x2a,
    0x00,
    0x00,
    0x00,
    0x08, // "MM", 42, IFD0 at 8
    0x00,
    0x01, // one entry
    0x01,
    0x12,
    0x00,
    0x03,
    0x00,
    0x00,
    0x00,
    0x01,
    0x00,
    orientation,
    0x00,
    0x00, // Orientation
    0x00,
    0x00,
    0x00,
    0x00, // no next IFD
  ];
  const payload = [...new TextEncoder().encode("Exif\0\0"), ...tiff];
  const length = payload.length + 2;
  const app1 = [0xff, 0xe1, length >> 8, length & 0xff, ...payload];
  return new Uint8Array([...jpeg.subarray(0, 2), ...app1, ...jpeg.subarray(2)]);
}

/** A valid PNG signature and header declaring `width`x`height`, with no pixel data at all. */
export function pngHeaderOnly(width: number, height: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes.set([8, 6, 0, 0, 0], 24);
  return bytes;
}
