// MSC4002 "Bridges and other users see a regular voice message": a speaker talks over the live stream (PROTOCOL.md,
// "Live audio") in a room with `recording: "server"`, and matrix-js-sdk — as a member who never consented, like a
// bridge — receives an ordinary m.audio voice message whose file is Ogg Opus. The packets are real speech (espeak-ng,
// encoded by the project's C# Opus encoder) from fixtures/speech.opus-packets.json.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import WebSocket from "ws";
import { baseUrl, loginAndStart, register, unique, waitForEvent, withTimeout } from "./helpers.js";

const P = "/_matrix/client/unstable/org.matrix.msc4002";
const clients = [];
const sockets = [];
after(() => {
  clients.forEach((c) => c.stopClient());
  sockets.forEach((s) => s.terminate());
});

const fixture = JSON.parse(await readFile(new URL("./fixtures/speech.opus-packets.json", import.meta.url), "utf8"));
const packets = fixture.packets.map((b64) => Buffer.from(b64, "base64"));

async function msc4002(client, method, path, body) {
  const response = await fetch(`${baseUrl}${P}${path}`, {
    method,
    headers: { Authorization: `Bearer ${client.getAccessToken()}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** The live stream: JSON control messages in order, binary audio frames out. */
async function openStream(client) {
  const url = `${baseUrl.replace(/^http/, "ws")}${P}/stream?access_token=${encodeURIComponent(client.getAccessToken())}`;
  const ws = new WebSocket(url);
  sockets.push(ws);
  const received = [];
  const waiters = [];
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    received.push(JSON.parse(data.toString("utf8")));
    for (const w of [...waiters]) w();
  });
  await withTimeout(new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("unexpected-response", (req, res) => {
      req.destroy(); // with this listener, ws leaves the refused request open: close it, or node waits for the server's keep-alive
      reject(new Error(`GET ${P}/stream answered HTTP ${res.statusCode} instead of upgrading to a WebSocket (the live stream of PROTOCOL.md is not served)`));
    });
    ws.once("error", reject);
  }), 10_000, "the live stream did not open");

  return {
    send: (message) => ws.send(JSON.stringify(message)),
    /** Resolves with the first control message of `type` (matching `predicate`) not yet consumed. */
    next(type, predicate = () => true, ms = 10_000) {
      return withTimeout(new Promise((resolve) => {
        const check = () => {
          const i = received.findIndex((m) => m.type === type && predicate(m));
          if (i < 0) return false;
          waiters.splice(waiters.indexOf(check), 1);
          resolve(received.splice(i, 1)[0]);
          return true;
        };
        waiters.push(check);
        check();
      }), ms, `no ${type} on the stream; received: ${JSON.stringify(received)}`);
    },
    /** u8 version=1 | u8 kind=1 | u16 channel | u32 epoch | u32 seq | payload, big-endian. */
    sendAudio(channel, epoch, seq, payload) {
      const header = Buffer.alloc(12);
      header.writeUInt8(1, 0);
      header.writeUInt8(1, 1);
      header.writeUInt16BE(channel, 2);
      header.writeUInt32BE(epoch, 4);
      header.writeUInt32BE(seq, 8);
      ws.send(Buffer.concat([header, payload]), { binary: true });
    },
  };
}

test("a burst over the live stream reaches matrix-js-sdk as an ordinary m.audio voice message with an Ogg Opus file", async () => {
  const password = "walkie talkie";
  const names = [unique("alice"), unique("bridge")];
  for (const name of names) await register(name, password);
  const [alice, bridge] = await Promise.all(names.map((n) => loginAndStart(n, password)));
  clients.push(alice, bridge);

  const { room_id: roomId } = await alice.createRoom({
    preset: "public_chat",
    power_level_content_override: { events: { "org.matrix.msc4002.member": 0 } },
  });
  await alice.sendStateEvent(roomId, "org.matrix.msc4002.walkie_talkie", { recording: "server" }, "");
  await bridge.joinRoom(roomId);
  await msc4002(alice, "PUT", `/rooms/${encodeURIComponent(roomId)}/consent`, {});

  const stream = await openStream(alice);
  stream.send({ type: "subscribe", rooms: [roomId] });
  const { channels } = await stream.next("subscribed");
  const channel = channels[roomId];
  assert.equal(typeof channel, "number");
  stream.send({ type: "floor.request", room_id: roomId, priority: "normal" });
  const { epoch } = await stream.next("floor.granted", (m) => m.room_id === roomId);

  // Real time, one 20 ms frame after the other, as a talking client sends them.
  const start = Date.now();
  for (let seq = 0; seq < packets.length; seq++) {
    const due = start + seq * fixture.frame_ms;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    stream.sendAudio(channel, epoch, seq, packets[seq]);
  }
  stream.send({ type: "floor.release", room_id: roomId, epoch });
  await stream.next("floor.idle", (m) => m.room_id === roomId);

  const voice = await waitForEvent(bridge, roomId, (e) => e.getType() === "m.room.message"
    && e.getContent().msgtype === "m.audio" && e.getContent()["org.matrix.msc4002.burst"]?.epoch === epoch, 30_000);
  const content = voice.getContent();
  assert.equal(voice.getSender(), alice.getUserId());
  assert.equal(content.body, "Voice message");
  assert.deepEqual(content["org.matrix.msc3245.voice"], {});
  assert.equal(content.info.mimetype, "audio/ogg");
  assert.equal(content.info.duration, packets.length * fixture.frame_ms);
  assert.equal(content["org.matrix.msc1767.audio"].duration, content.info.duration);
  assert.equal(content["org.matrix.msc4002.burst"].device_id, alice.getDeviceId());
  assert.equal(content["m.relates_to"].rel_type, "m.thread");
  const root = await waitForEvent(bridge, roomId, (e) => e.getId() === content["m.relates_to"].event_id);
  assert.equal(root.getContent().msgtype, "m.notice");

  const url = bridge.mxcUrlToHttp(content.url, undefined, undefined, undefined, false, true, true);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${bridge.getAccessToken()}` } });
  assert.equal(response.status, 200);
  const file = Buffer.from(await response.arrayBuffer());
  assert.equal(file.subarray(0, 4).toString("latin1"), "OggS");
  assert.equal(file.length, content.info.size);
});
