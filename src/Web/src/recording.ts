// Client-side recording in encrypted rooms (PROTOCOL.md "Recordings"): the speaker's client builds the Ogg Opus
// file, uploads it as an encrypted attachment and sends the m.audio voice message through Megolm, threaded per session.
import { MsgType, type MatrixClient } from "matrix-js-sdk";
import { encryptAttachment, oggOpus } from "./ogg";

const SessionGapMs = 600_000;
const sessions = new Map<string, { root: string; last: number }>();

/** 100 envelope points 0–1024 (MSC1767 waveform) from the captured PCM. */
export function waveform(pcm: Float32Array[]): number[] {
  const all = pcm.length === 0 ? new Float32Array(0) : Float32Array.from(pcm.flatMap((p) => Array.from(p)));
  const points = Math.min(100, Math.max(1, all.length));
  const per = Math.max(1, Math.floor(all.length / points));
  const out: number[] = [];
  for (let i = 0; i < points; i++) {
    let peak = 0;
    for (let j = i * per; j < Math.min(all.length, (i + 1) * per); j++) peak = Math.max(peak, Math.abs(all[j]));
    out.push(Math.round(Math.min(1, peak) * 1024));
  }
  return out;
}

export async function postRecording(client: MatrixClient, roomId: string, packets: Uint8Array[], pcm: Float32Array[],
  epoch: number, startedTs: number): Promise<string> {
  const file = oggOpus(packets);
  const encrypted = await encryptAttachment(file);
  const upload = await client.uploadContent(new Blob([encrypted.data as BlobPart]), { type: "application/octet-stream", includeFilename: false });
  const duration = packets.length * 20;
  const now = Date.now();
  let session = sessions.get(roomId);
  if (!session || now - session.last > SessionGapMs) {
    const root = await client.sendMessage(roomId, { msgtype: MsgType.Notice, body: "Walkie-talkie session" });
    session = { root: root.event_id, last: now };
    sessions.set(roomId, session);
  }
  session.last = now;
  const fileObject = { ...encrypted.info, url: upload.content_uri, mimetype: "audio/ogg" };
  const content = {
    msgtype: MsgType.Audio,
    body: "Voice message",
    file: fileObject,
    info: { duration, mimetype: "audio/ogg", size: file.length },
    "org.matrix.msc1767.audio": { duration, waveform: waveform(pcm) },
    "org.matrix.msc1767.file": fileObject,
    "org.matrix.msc3245.voice": {},
    "org.matrix.msc4002.burst": { epoch, started_ts: startedTs, device_id: client.getDeviceId() },
    "m.relates_to": { rel_type: "m.thread", event_id: session.root, is_falling_back: true, "m.in_reply_to": { event_id: session.root } },
  };
  // sendEvent with the thread id: the sdk encrypts it with the room's Megolm session like any message.
  const sent = await client.sendEvent(roomId, session.root, "m.room.message" as never, content as never);
  return sent.event_id;
}
