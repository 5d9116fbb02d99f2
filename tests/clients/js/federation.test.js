// Issue 11 with the real client library: users of two WalkieTalkie homeservers (HS1_URL = hs1.test, HS2_URL =
// hs2.test, each on its own database) share rooms through federation: messages both ways, typing, receipts,
// profile, media, and with Rust crypto an encrypted message and an encrypted voice message (Ogg Opus attachment).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes, webcrypto } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loginAndStart, register, sdk, unique, until, waitFor, waitForEvent, withTimeout } from "./helpers.js";

const hs1 = process.env.HS1_URL, hs2 = process.env.HS2_URL;
const password = "walkie talkie";
const clients = [];
let dir;
before(() => { dir = mkdtempSync(join(tmpdir(), "walkie-fed-")); });
after(() => { clients.forEach((c) => c.stopClient()); rmSync(dir, { recursive: true, force: true }); });

/** alice on hs1, bob on hs2. */
async function twoServers(options) {
  const [a, b] = [unique("alice"), unique("bob")];
  await register(a, password, hs1);
  await register(b, password, hs2);
  const [alice, bob] = await Promise.all([loginAndStart(a, password, { ...options, url: hs1 }), loginAndStart(b, password, { ...options, url: hs2 })]);
  clients.push(alice, bob);
  return { alice, bob };
}

const joined = (client, roomId, userId) => waitForEvent(client, roomId,
  (e) => e.getType() === "m.room.member" && e.getStateKey() === userId && e.getContent().membership === "join", 30_000);

async function download(client, url, mxc) {
  const [server, mediaId] = mxc.slice("mxc://".length).split("/");
  const r = await fetch(`${url}/_matrix/client/v1/media/download/${server}/${mediaId}`, { headers: { Authorization: `Bearer ${client.getAccessToken()}` } });
  assert.equal(r.status, 200, `download of ${mxc} from ${url}`);
  return Buffer.from(await r.arrayBuffer());
}

test("bob on hs2 joins alice's room on hs1 by alias; messages, typing, receipts and profile cross both ways", async () => {
  const { alice, bob } = await twoServers();
  await bob.setDisplayName("Bob of hs2");
  const alias = unique("fed");
  const { room_id: roomId } = await alice.createRoom({ preset: "public_chat", room_alias_name: alias, name: "Across" });
  const join = await bob.joinRoom(`#${alias}:hs1.test`);
  assert.equal(join.roomId, roomId);
  await joined(alice, roomId, bob.getUserId());
  await until(() => bob.getRoom(roomId)?.name === "Across", "bob never saw the room's name");

  const { event_id: hello } = await alice.sendTextMessage(roomId, "hello hs2");
  const atBob = await waitForEvent(bob, roomId, (e) => e.getId() === hello, 30_000);
  assert.equal(atBob.getSender(), alice.getUserId());
  await bob.sendTextMessage(roomId, "hello hs1");
  await waitForEvent(alice, roomId, (e) => e.getContent().body === "hello hs1" && e.getSender() === bob.getUserId(), 30_000);

  const typing = waitFor(alice, sdk.RoomMemberEvent.Typing, (_e, m) => m.roomId === roomId && m.userId === bob.getUserId() && m.typing, 30_000);
  await bob.sendTyping(roomId, true, 20_000);
  await typing;
  const receipt = waitFor(alice, sdk.RoomEvent.Receipt,
    (event, room) => room.roomId === roomId && event.getContent()[hello]?.["m.read"]?.[bob.getUserId()] !== undefined, 30_000);
  await bob.sendReadReceipt(atBob);
  await receipt;

  const profile = await alice.getProfileInfo(bob.getUserId());
  assert.equal(profile.displayname, "Bob of hs2");
  assert.equal(alice.getRoom(roomId).getMember(bob.getUserId())?.name, "Bob of hs2");
});

test("media alice uploads on hs1 downloads byte for byte from hs2", async () => {
  const { alice, bob } = await twoServers();
  const bytes = new Uint8Array(randomBytes(70_000));
  const { content_uri: mxc } = await alice.uploadContent(Buffer.from(bytes), { type: "application/octet-stream", name: "noise.bin" });
  assert.ok(mxc.startsWith("mxc://hs1.test/"));
  assert.deepEqual(new Uint8Array(await download(bob, hs2, mxc)), bytes);
});

/** An Ogg Opus voice message from espeak-ng speech (opusenc), as MSC3245 content with an AES-CTR encrypted attachment. */
async function encryptedVoice(client) {
  const wav = join(dir, "speech.wav"), ogg = join(dir, "speech.ogg");
  execFileSync("espeak-ng", ["-w", wav, "Over the federation. Over."]);
  execFileSync("opusenc", ["--quiet", wav, ogg]);
  const plain = readFileSync(ogg);
  const raw = webcrypto.getRandomValues(new Uint8Array(32));
  const iv = new Uint8Array(16);
  webcrypto.getRandomValues(iv.subarray(0, 8));
  const key = await webcrypto.subtle.importKey("raw", raw, "AES-CTR", true, ["encrypt"]);
  const cipher = Buffer.from(await webcrypto.subtle.encrypt({ name: "AES-CTR", counter: iv, length: 64 }, key, plain));
  const { content_uri: url } = await client.uploadContent(cipher, { type: "application/octet-stream" });
  const b64 = (b) => Buffer.from(b).toString("base64").replace(/=+$/, "");
  const jwk = await webcrypto.subtle.exportKey("jwk", key);
  return {
    plain,
    content: {
      msgtype: "m.audio", body: "Voice message", "org.matrix.msc3245.voice": {},
      info: { mimetype: "audio/ogg", size: plain.length },
      file: { v: "v2", url, key: { ...jwk, key_ops: ["encrypt", "decrypt"] }, iv: b64(iv), hashes: { sha256: b64(createHash("sha256").update(cipher).digest()) } },
    },
  };
}

async function decryptAttachment(file, cipher) {
  assert.equal(Buffer.from(createHash("sha256").update(cipher).digest()).toString("base64").replace(/=+$/, ""), file.hashes.sha256);
  const key = await webcrypto.subtle.importKey("jwk", file.key, "AES-CTR", false, ["decrypt"]);
  return Buffer.from(await webcrypto.subtle.decrypt({ name: "AES-CTR", counter: Buffer.from(file.iv, "base64"), length: 64 }, key, cipher));
}

test("with Rust crypto across servers, bob on hs2 decrypts alice's message and her encrypted voice message", async () => {
  const { alice, bob } = await twoServers({ crypto: true });
  const { room_id: roomId } = await alice.createRoom({
    invite: [bob.getUserId()],
    initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
  });
  await waitFor(bob, sdk.RoomMemberEvent.Membership,
    (_e, m) => m.roomId === roomId && m.userId === bob.getUserId() && m.membership === "invite", 30_000);
  await bob.joinRoom(roomId);
  await joined(alice, roomId, bob.getUserId());
  await until(() => bob.getRoom(roomId)?.hasEncryptionStateEvent(), "bob never saw the room as encrypted");

  const secret = `over the federation ${Date.now()}`;
  const { event_id: textId } = await alice.sendTextMessage(roomId, secret);
  const text = await waitForEvent(bob, roomId, (e) => e.getId() === textId, 30_000);
  await withTimeout(bob.decryptEventIfNeeded(text), 30_000, "decryption did not finish");
  // The Megolm key comes as to-device in its own federation transaction and may land after the message: the SDK
  // decrypts the event again when the key arrives, as for any client.
  await until(() => !text.isBeingDecrypted() && !text.isDecryptionFailure(), "the room key never arrived", 30_000).catch(() => {});
  assert.equal(text.isDecryptionFailure(), false, `decryption failed: ${text.decryptionFailureReason}`);
  assert.equal(text.getClearContent()?.body, secret);

  // What hs2 stored and serves is the Megolm ciphertext.
  const raw = await fetch(`${hs2}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(textId)}`,
    { headers: { Authorization: `Bearer ${bob.getAccessToken()}` } }).then((r) => r.json());
  assert.equal(raw.type, "m.room.encrypted");
  assert.ok(!JSON.stringify(raw).includes(secret));

  const voice = await encryptedVoice(alice);
  const { event_id: voiceId } = await alice.sendMessage(roomId, voice.content);
  const heard = await waitForEvent(bob, roomId, (e) => e.getId() === voiceId, 30_000);
  await withTimeout(bob.decryptEventIfNeeded(heard), 30_000, "decryption of the voice message did not finish");
  const content = heard.getClearContent();
  assert.equal(content?.msgtype, "m.audio");
  assert.ok("org.matrix.msc3245.voice" in content);
  const ogg = await decryptAttachment(content.file, await download(bob, hs2, content.file.url));
  assert.deepEqual(ogg, voice.plain);
  const path = join(dir, "heard.ogg");
  writeFileSync(path, ogg);
  assert.match(execFileSync("opusinfo", [path]).toString(), /Opus stream/); // opusinfo exits non-zero on a bad file
});
