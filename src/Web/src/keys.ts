// Sending keys for E2EE live audio (PROTOCOL.md "E2EE live audio"): one AES-256-GCM key per (room, own device),
// sent ahead of time by Olm to-device to every device with live consent, rotated when a receiver stops being live.
import type { MatrixClient, MatrixEvent } from "matrix-js-sdk";

export const AudioKeyType = "org.matrix.msc4002.audio_key";
export const MemberType = "org.matrix.msc4002.member";
/** How many keys of each sender a receiver keeps (frames of a burst in flight during a rotation still open). */
const KeptKeys = 4;

export interface DeviceId { userId: string; deviceId: string }
interface SendingKey { index: number; raw: Uint8Array; key: CryptoKey; sentTo: Set<string> }

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/=+$/, "");
const unb64 = (text: string) => Uint8Array.from(atob(text + "===".slice((text.length + 3) % 4)), (c) => c.charCodeAt(0));
const keyOf = (d: DeviceId) => `${d.userId}|${d.deviceId}`;
const importKey = (raw: Uint8Array, usage: KeyUsage) =>
  crypto.subtle.importKey("raw", raw as BufferSource, { name: "AES-GCM" }, false, [usage]);

/** Devices whose `org.matrix.msc4002.member` consent is live now (state key `_@user:server_DEVICE`, docs/msc4002.md §4.3.1). */
export function liveReceivers(client: MatrixClient, roomId: string, now = Date.now()): DeviceId[] {
  const room = client.getRoom(roomId);
  if (!room) return [];
  const out: DeviceId[] = [];
  for (const event of room.currentState.getStateEvents(MemberType)) {
    const content = event.getContent() as { device_id?: string; expires_ts?: number | null };
    if (!content.device_id) continue;
    if (typeof content.expires_ts === "number" && content.expires_ts <= now) continue;
    const stateKey = event.getStateKey() ?? "";
    const suffix = `_${content.device_id}`;
    if (!stateKey.startsWith("_@") || !stateKey.endsWith(suffix)) continue;
    const userId = stateKey.slice(1, stateKey.length - suffix.length);
    if (!userId.startsWith("@") || room.getMember(userId)?.membership !== "join") continue;
    out.push({ userId, deviceId: content.device_id });
  }
  return out;
}

export class AudioKeys {
  private readonly mine = new Map<string, SendingKey>();
  private readonly received = new Map<string, { index: number; key: CryptoKey; raw: Uint8Array }[]>();
  /** Every key event this device accepted (the tests read it: a non-consenting device must have none). */
  readonly log: { roomId: string; sender: string; index: number }[] = [];
  onKey: (roomId: string) => void = () => {};

  constructor(private readonly client: MatrixClient) {}

  /** Our current key for the room, if any: what the talker seals frames with. */
  current(roomId: string): SendingKey | undefined { return this.mine.get(roomId); }

  /** Brings the room's receivers up to date: keys to new live devices, a new key when one went away. */
  async sync(roomId: string, consenting: boolean): Promise<void> {
    const me = { userId: this.client.getUserId()!, deviceId: this.client.getDeviceId()! };
    const live = liveReceivers(this.client, roomId).filter((d) => keyOf(d) !== keyOf(me));
    let key = this.mine.get(roomId);
    if (!consenting) return;
    const liveKeys = new Set(live.map(keyOf));
    const gone = key ? [...key.sentTo].some((d) => !liveKeys.has(d)) : false;
    if (!key || gone) key = await this.rotate(roomId, key);
    const missing = live.filter((d) => !key!.sentTo.has(keyOf(d)));
    if (missing.length > 0) await this.send(roomId, key, missing);
  }

  private async rotate(roomId: string, previous?: SendingKey): Promise<SendingKey> {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const index = previous ? (previous.index + 1) % 256 : crypto.getRandomValues(new Uint8Array(1))[0];
    const key = { index, raw, key: await importKey(raw, "encrypt"), sentTo: new Set<string>() };
    this.mine.set(roomId, key);
    return key;
  }

  private async send(roomId: string, key: SendingKey, devices: DeviceId[]): Promise<void> {
    const crypto_ = this.client.getCrypto();
    if (!crypto_) throw new Error("E2EE live audio needs the client's crypto");
    // Device lists must be known before Olm sessions can be made with them.
    const known = await crypto_.getUserDeviceInfo([...new Set(devices.map((d) => d.userId))], true);
    // A device without Olm keys cannot decrypt anything: it gets no key (and so no audio it could open).
    devices = devices.filter((d) => known.get(d.userId)?.has(d.deviceId));
    if (devices.length === 0) return;
    const payload = { room_id: roomId, device_id: this.client.getDeviceId(), index: key.index, key: b64(key.raw), sent_ts: Date.now() };
    const batch = await crypto_.encryptToDeviceMessages(AudioKeyType, devices, payload);
    await this.client.queueToDevice(batch);
    // A device without Olm keys gets nothing (it cannot decrypt): it is not counted as having the key.
    const reached = new Set(batch.batch.map((m) => `${m.userId}|${m.deviceId}`));
    for (const d of devices) if (reached.has(keyOf(d))) key.sentTo.add(keyOf(d));
  }

  /** Accepts an audio key that came Olm-encrypted; a plaintext one is ignored (anyone could have sent it). */
  async accept(event: MatrixEvent): Promise<void> {
    if (event.getType() !== AudioKeyType || event.getWireType() !== "m.room.encrypted") return;
    const c = event.getContent() as { room_id?: string; device_id?: string; index?: number; key?: string };
    if (!c.room_id || !c.device_id || typeof c.index !== "number" || !c.key) return;
    const raw = unb64(c.key);
    if (raw.length !== 32) return;
    const sender = keyOf({ userId: event.getSender()!, deviceId: c.device_id });
    const slot = `${c.room_id}|${sender}`;
    const keys = (this.received.get(slot) ?? []).filter((k) => k.index !== c.index);
    keys.push({ index: c.index, key: await importKey(raw, "decrypt"), raw });
    this.received.set(slot, keys.slice(-KeptKeys));
    this.log.push({ roomId: c.room_id, sender, index: c.index });
    this.onKey(c.room_id);
  }

  /** The sender's key of `index` in the room, if we were given it. */
  lookup(roomId: string, sender: DeviceId, index: number): CryptoKey | undefined {
    return this.received.get(`${roomId}|${keyOf(sender)}`)?.find((k) => k.index === index)?.key;
  }

  has(roomId: string, sender: DeviceId): boolean { return (this.received.get(`${roomId}|${keyOf(sender)}`)?.length ?? 0) > 0; }
}
