// The live stream's binary frames (PROTOCOL.md "Live audio" and "E2EE live audio"), big-endian:
// u8 version=1 | u8 kind | u16 channel | u32 epoch | u32 seq | payload; kind 2 payload = u8 key_index | ciphertext || tag.
export const Version = 1;
export const KindAudio = 1;
export const KindEncrypted = 2;
export const HeaderSize = 12;
export const EncryptedHeaderSize = 13;

export interface FrameHeader { kind: number; channel: number; epoch: number; seq: number }

export function parseHeader(frame: Uint8Array): FrameHeader | null {
  if (frame.length < HeaderSize || frame[0] !== Version) return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return { kind: frame[1], channel: view.getUint16(2), epoch: view.getUint32(4), seq: view.getUint32(8) };
}

function writeHeader(frame: Uint8Array, h: FrameHeader): void {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  view.setUint8(0, Version);
  view.setUint8(1, h.kind);
  view.setUint16(2, h.channel);
  view.setUint32(4, h.epoch >>> 0);
  view.setUint32(8, h.seq >>> 0);
}

/** A kind-1 frame: the Opus packet in clear (unencrypted rooms). */
export function plainFrame(channel: number, epoch: number, seq: number, opus: Uint8Array): Uint8Array {
  const frame = new Uint8Array(HeaderSize + opus.length);
  writeHeader(frame, { kind: KindAudio, channel, epoch, seq });
  frame.set(opus, HeaderSize);
  return frame;
}

/** IV = u32 0 | u32 epoch | u32 seq: unique per (sending key, grant, frame). */
export function iv(epoch: number, seq: number): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setUint32(4, epoch >>> 0);
  view.setUint32(8, seq >>> 0);
  return out;
}

/** AAD = the 13 header bytes with channel 0: the server rewrites the channel for each receiver. */
export function aad(frame: Uint8Array): Uint8Array {
  const out = frame.slice(0, EncryptedHeaderSize);
  out[2] = 0;
  out[3] = 0;
  return out;
}

/** A kind-2 frame: AES-256-GCM of the Opus packet under the sender's key of `keyIndex`. */
export async function sealFrame(key: CryptoKey, keyIndex: number, channel: number, epoch: number, seq: number,
  opus: Uint8Array): Promise<Uint8Array> {
  const header = new Uint8Array(EncryptedHeaderSize);
  writeHeader(header, { kind: KindEncrypted, channel, epoch, seq });
  header[12] = keyIndex;
  const sealed = new Uint8Array(await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: iv(epoch, seq) as BufferSource, additionalData: aad(header) as BufferSource, tagLength: 128 },
    key, opus as BufferSource));
  const frame = new Uint8Array(EncryptedHeaderSize + sealed.length);
  frame.set(header);
  frame.set(sealed, EncryptedHeaderSize);
  return frame;
}

/** The Opus packet of a kind-2 frame, or null when it does not authenticate under `key`. */
export async function openFrame(key: CryptoKey, frame: Uint8Array): Promise<Uint8Array | null> {
  const h = parseHeader(frame);
  if (!h || h.kind !== KindEncrypted || frame.length < EncryptedHeaderSize + 16) return null;
  try {
    return new Uint8Array(await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: iv(h.epoch, h.seq) as BufferSource, additionalData: aad(frame) as BufferSource, tagLength: 128 },
      key, frame.subarray(EncryptedHeaderSize) as BufferSource));
  } catch {
    return null;
  }
}

export const keyIndexOf = (frame: Uint8Array): number => frame[12];
