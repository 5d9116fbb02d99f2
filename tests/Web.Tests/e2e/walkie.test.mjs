// The browser walkie-talkie end to end (issue 10): real chromium pages of src/Web against a real server.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createRoom, decodedBurst, holdToTalk, invite, joinAndOpen, launch, openRoom, openUser, rawListener, readWav,
  sleep, speechWav, until } from "./harness.mjs";
import { bestCorrelation, envelope, speechSpanMs } from "./signal.mjs";

const dir = mkdtempSync(join(tmpdir(), "walkie-web-"));
const wav = speechWav(dir);
const spoken = readWav(wav);
const shots = process.env.SCREENSHOTS; // docs/screenshots when asked
let browser, alice, bob, carol, raw, roomId;

before(async () => {
  browser = await launch(wav);
  [alice, bob, carol] = await Promise.all([openUser(browser, "alice"), openUser(browser, "bob"), openUser(browser, "carol")]);
  if (shots) {
    mkdirSync(shots, { recursive: true });
    const fresh = await browser.newPage();
    await fresh.goto(alice.page.url());
    await fresh.screenshot({ path: join(shots, "login.png") });
    await fresh.close();
  }
});

after(async () => {
  raw?.close();
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("alice talks in an encrypted room and bob hears the spoken WAV; the server relays only kind-2 ciphertext", async () => {
  roomId = await createRoom(alice, "Encrypted walkie", true);
  assert.equal(await alice.page.evaluate((r) => window.walkie.isEncrypted(r), roomId), true);
  for (const u of [bob, carol]) await invite(alice, roomId, u.userId);
  await Promise.all([joinAndOpen(bob, roomId), joinAndOpen(carol, roomId)]);
  raw = await rawListener(roomId, (userId) => invite(alice, roomId, userId));
  await alice.page.click('[data-consent="null"]');
  await bob.page.click('[data-consent="28800000"]');
  // carol is in the room with walkie mode on, but never consents.
  await carol.page.click("#mode");
  await bob.page.click("#mode");
  await until(bob, ([r, a]) => window.walkie.keys.has(r, a), [roomId, { userId: alice.userId, deviceId: alice.deviceId }]);
  await until(alice, (r) => window.walkie.myConsent(r) === null, roomId);

  const burst = await holdToTalk(alice, spoken.length / 48 + 800);
  assert.ok(burst.packets > 100, `alice sent ${burst.packets} packets`);
  await until(bob, ([r, e, n]) => window.walkie.player.decoded.filter((d) => d.roomId === r && d.epoch === e).length >= n,
    [roomId, burst.epoch, burst.packets]);
  const heard = await decodedBurst(bob, roomId, burst.epoch);

  const said = envelope(spoken), got = envelope(Float32Array.from(heard.pcm));
  const { r, lag } = bestCorrelation(said, got);
  const spanSaid = speechSpanMs(said), spanHeard = speechSpanMs(got);
  console.log(`envelope correlation ${r.toFixed(3)} at lag ${lag * 10} ms; speech ${spanSaid} ms spoken, ${spanHeard} ms heard`);
  assert.ok(r > 0.8, `envelope correlation ${r}`);
  assert.ok(Math.abs(spanSaid - spanHeard) <= 60, `spoken ${spanSaid} ms, heard ${spanHeard} ms`);

  // What the server relayed: kind 2 only, and no payload is (or contains) an Opus packet alice encoded.
  const sent = await alice.page.evaluate(() => window.walkie.sentOpus.map((p) => Array.from(p)));
  const relayed = raw.frames.filter((f) => new DataView(f.buffer, f.byteOffset).getUint32(4) === burst.epoch);
  assert.ok(relayed.length >= burst.packets - 2, `relayed ${relayed.length} of ${burst.packets}`);
  assert.ok(raw.frames.every((f) => f[1] === 2), "a relayed frame was not kind 2");
  const payloads = new Set(relayed.map((f) => Buffer.from(f.subarray(12)).toString("hex")));
  for (const p of sent) {
    const hex = Buffer.from(p).toString("hex");
    assert.ok(![...payloads].some((q) => q.includes(hex)), "an Opus packet alice encoded went over the wire in clear");
  }
  assert.equal(await raw.frames.length > 0, true);
  if (shots) await bob.page.screenshot({ path: join(shots, "room.png") });
});
