/**
 * Small, valid PNG files for test doubles, so that what a double sends is a real image and tests
 * can check signatures and tell images apart by colour.
 */
import { crc32, deflateSync, inflateSync } from 'node:zlib';

export type Rgb = readonly [red: number, green: number, blue: number];

/** The eight bytes every PNG file starts with. */
export const pngSignature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** A `width`×`height` PNG (8-bit RGB, no interlace) filled with one colour. */
export function solidPng(color: Rgb, width = 8, height = 8): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: truecolour
  // Compression, filter and interlace methods stay 0.
  const row = Buffer.alloc(1 + width * 3); // filter byte 0 (none), then RGB triples
  for (let x = 0; x < width; x += 1) row.set(color, 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    pngSignature,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** `solidPng` as base64, the way image APIs carry it in JSON. */
export function solidPngBase64(color: Rgb, width = 8, height = 8): string {
  return solidPng(color, width, height).toString('base64');
}

/** Whether `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return pngSignature.every((byte, index) => bytes[index] === byte);
}

/**
 * Width, height and top-left colour of a PNG made by `solidPng` (8-bit RGB, one IDAT chunk).
 * Throws for anything else, including a bad chunk CRC.
 */
export function readSolidPng(bytes: Uint8Array): { width: number; height: number; color: Rgb } {
  if (!isPng(bytes)) throw new Error('Not a PNG: the signature is missing.');
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = pngSignature.length;
  let width = 0;
  let height = 0;
  let data: Buffer | undefined;
  while (offset < buffer.length) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    const body = buffer.subarray(offset + 8, offset + 8 + length);
    const crc = buffer.readUInt32BE(offset + 8 + length);
    if (crc !== crc32(buffer.subarray(offset + 4, offset + 8 + length))) {
      throw new Error(`Bad CRC in PNG chunk ${type}.`);
    }
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[9] !== 2) throw new Error('Only 8-bit RGB PNGs are read here.');
    }
    if (type === 'IDAT') data = inflateSync(body);
    offset += 12 + length;
  }
  if (data === undefined || data.length !== height * (1 + width * 3)) {
    throw new Error('PNG pixel data is missing or the wrong size.');
  }
  return { width, height, color: [data[1] ?? 0, data[2] ?? 0, data[3] ?? 0] };
}

function chunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const typeAndBody = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndBody));
  return Buffer.concat([length, typeAndBody, crc]);
}
