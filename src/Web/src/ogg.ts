// Ogg Opus (RFC 7845 over RFC 3533 pages), ported from src/Audio/OggOpusWriter.cs: OpusHead page, OpusTags page,
// audio pages of up to 50 packets; granule = samples decoded to the end of the page, pre-skip included.
const PreSkip = 312;
const PacketsPerPage = 50;

const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

/** The Ogg page CRC: polynomial 0x04C11DB7, no reflection, initial 0, no final xor. */
export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) ^ crcTable[((crc >>> 24) ^ b) & 0xff]) >>> 0;
  return crc >>> 0;
}

function page(serial: number, sequence: number, granule: bigint, flags: number, packets: Uint8Array[]): Uint8Array {
  const lacing: number[] = [];
  for (const p of packets) {
    let remaining = p.length;
    for (;;) { lacing.push(Math.min(remaining, 255)); if (remaining < 255) break; remaining -= 255; }
  }
  const bodyLength = packets.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(27 + lacing.length + bodyLength);
  const view = new DataView(out.buffer);
  out.set([0x4f, 0x67, 0x67, 0x53], 0); // "OggS"
  out[5] = flags;
  view.setBigInt64(6, granule, true);
  view.setUint32(14, serial, true);
  view.setUint32(18, sequence, true);
  out[26] = lacing.length;
  out.set(lacing, 27);
  let at = 27 + lacing.length;
  for (const p of packets) { out.set(p, at); at += p.length; }
  view.setUint32(22, oggCrc(out), true);
  return out;
}

/** Samples in one Opus packet (RFC 6716 §3.1: TOC config and frame count code). */
export function packetSamples(packet: Uint8Array): number {
  const config = packet[0] >> 3;
  const perFrame = config < 12 ? [480, 960, 1920, 2880][config & 3]
    : config < 16 ? [480, 960][config & 1] : [120, 240, 480, 960][config & 3];
  const code = packet[0] & 3;
  const frames = code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
  return perFrame * frames;
}

/** A whole Ogg Opus file from the burst's packets (mono, 48 kHz). */
export function oggOpus(packets: Uint8Array[], serial = crypto.getRandomValues(new Uint32Array(1))[0]): Uint8Array {
  const text = new TextEncoder();
  const head = new Uint8Array(19);
  head.set(text.encode("OpusHead"));
  const hv = new DataView(head.buffer);
  head[8] = 1; head[9] = 1;
  hv.setUint16(10, PreSkip, true);
  hv.setUint32(12, 48000, true);
  const vendor = text.encode("WalkieTalkie web");
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  tags.set(text.encode("OpusTags"));
  new DataView(tags.buffer).setUint32(8, vendor.length, true);
  tags.set(vendor, 12);
  const pages = [page(serial, 0, 0n, 0x02, [head]), page(serial, 1, 0n, 0, [tags])];
  let granule = 0n;
  for (let i = 0; i < packets.length; i += PacketsPerPage) {
    const chunk = packets.slice(i, i + PacketsPerPage);
    for (const p of chunk) granule += BigInt(packetSamples(p));
    const last = i + PacketsPerPage >= packets.length;
    pages.push(page(serial, pages.length, granule, last ? 0x04 : 0, chunk));
  }
  const out = new Uint8Array(pages.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pages) { out.set(p, at); at += p.length; }
  return out;
}

/** Matrix encrypted attachment (spec "Sending encrypted attachments"): AES-256-CTR, v2, SHA-256 of the ciphertext. */
export async function encryptAttachment(plain: Uint8Array): Promise<{ data: Uint8Array; info: Record<string, unknown> }> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const iv = new Uint8Array(16);
  iv.set(crypto.getRandomValues(new Uint8Array(8))); // the low 64 bits are the counter, starting at 0
  const key = await crypto.subtle.importKey("raw", raw, "AES-CTR", true, ["encrypt"]);
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CTR", counter: iv, length: 64 }, key, plain as BufferSource));
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/=+$/, "");
  const sha = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return {
    data,
    info: { v: "v2", key: { kty: "oct", key_ops: ["encrypt", "decrypt"], alg: "A256CTR", k: jwk.k, ext: true },
      iv: b64(iv), hashes: { sha256: b64(sha) } },
  };
}

/** The inverse, for playing an encrypted voice message in place. */
export async function decryptAttachment(data: Uint8Array, file: { key: { k: string }; iv: string }): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("jwk", { kty: "oct", k: file.key.k, alg: "A256CTR", ext: true }, "AES-CTR", false, ["decrypt"]);
  const iv = Uint8Array.from(atob(file.iv + "===".slice((file.iv.length + 3) % 4)), (c) => c.charCodeAt(0));
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CTR", counter: iv, length: 64 }, key, data as BufferSource));
}
