// The scenario with the real client library: two users, sync, rooms, custom and state events, media,
// to-device, then the same exchange end-to-end encrypted with the Rust crypto.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { baseUrl, loginAndStart, register, sdk, unique, until, waitFor, waitForEvent, withTimeout } from "./helpers.js";

const clients = [];
after(() => clients.forEach((c) => c.stopClient()));

async function twoUsers(options) {
  const password = "walkie talkie";
  const names = [unique("alice"), unique("bob")];
  for (const name of names) await register(name, password);
  const [alice, bob] = await Promise.all(names.map((n) => loginAndStart(n, password, options)));
  clients.push(alice, bob);
  return { alice, bob };
}

async function sharedRoom(alice, bob, createOptions = {}) {
  const { room_id: roomId } = await alice.createRoom({ invite: [bob.getUserId()], ...createOptions });
  await waitFor(bob, sdk.RoomMemberEvent.Membership,
    (_e, member) => member.roomId === roomId && member.userId === bob.getUserId() && member.membership === "invite");
  await bob.joinRoom(roomId);
  await waitForEvent(alice, roomId, (e) => e.getType() === "m.room.member" && e.getStateKey() === bob.getUserId()
    && e.getContent().membership === "join");
  return roomId;
}

test("two clients reach PREPARED, share a room and see each other's messages, custom and state events", async () => {
  const { alice, bob } = await twoUsers();
  const roomId = await sharedRoom(alice, bob, { name: "Walkie" });

  await alice.sendTextMessage(roomId, "hello bob");
  const atBob = await waitForEvent(bob, roomId, (e) => e.getContent().body === "hello bob");
  assert.equal(atBob.getSender(), alice.getUserId());

  await bob.sendTextMessage(roomId, "hello alice");
  await waitForEvent(alice, roomId, (e) => e.getContent().body === "hello alice");

  await bob.sendEvent(roomId, "org.example.custom", { n: 42 });
  const custom = await waitForEvent(alice, roomId, (e) => e.getType() === "org.example.custom");
  assert.deepEqual(custom.getContent(), { n: 42 });

  await alice.sendStateEvent(roomId, "m.room.topic", { topic: "push to talk" }, "");
  await waitForEvent(bob, roomId, (e) => e.getType() === "m.room.topic");
  assert.equal(bob.getRoom(roomId).currentState.getStateEvents("m.room.topic", "").getContent().topic, "push to talk");
});

test("media upload and authenticated download round-trip the bytes", async () => {
  const { alice, bob } = await twoUsers();
  const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  const { content_uri: mxc } = await alice.uploadContent(bytes, { name: "noise.bin", type: "application/octet-stream" });
  assert.match(mxc, /^mxc:\/\//);
  const url = bob.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${bob.getAccessToken()}` } });
  assert.equal(response.status, 200);
  assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
});

test("a to-device message arrives at the other device", async () => {
  const { alice, bob } = await twoUsers();
  const arrived = waitFor(bob, sdk.ClientEvent.ToDeviceEvent, (e) => e.getType() === "org.example.ping");
  await alice.queueToDevice({
    eventType: "org.example.ping",
    batch: [{ userId: bob.getUserId(), deviceId: bob.getDeviceId(), payload: { hello: "bob" } }],
  });
  const [event] = await arrived;
  assert.equal(event.getSender(), alice.getUserId());
  assert.deepEqual(event.getContent(), { hello: "bob" });
});

test("with Rust crypto in an encrypted room, bob decrypts alice's message and the server holds only ciphertext", async () => {
  const { alice, bob } = await twoUsers({ crypto: true });
  const roomId = await sharedRoom(alice, bob, {
    initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
  });
  await until(() => bob.getRoom(roomId)?.hasEncryptionStateEvent(), "bob never saw the room as encrypted");

  const secret = `over and out ${Date.now()}`;
  const { event_id: eventId } = await alice.sendTextMessage(roomId, secret);
  const atBob = await waitForEvent(bob, roomId, (e) => e.getId() === eventId, 30_000);
  await withTimeout(bob.decryptEventIfNeeded(atBob), 30_000, "decryption did not finish");
  assert.equal(atBob.isDecryptionFailure(), false, `decryption failed: ${atBob.decryptionFailureReason}`);
  assert.equal(atBob.getClearContent()?.body, secret);

  // What the server stored and serves is the Megolm ciphertext, never the text.
  const raw = await fetch(`${baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`,
    { headers: { Authorization: `Bearer ${bob.getAccessToken()}` } }).then((r) => r.json());
  assert.equal(raw.type, "m.room.encrypted");
  assert.equal(raw.content.algorithm, "m.megolm.v1.aes-sha2");
  assert.ok(!JSON.stringify(raw).includes(secret));
});
