// Mouth-to-ear latency of the browser client: fake-mic frame captured at alice → frame decoded at bob, per seq,
// encrypted room (kind 2) and unencrypted room (kind 1) in the same run. Run against a server: HOMESERVER_URL=... node latency.mjs
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRoom, decodedBurst, holdToTalk, invite, joinAndOpen, launch, openUser, until } from "../../tests/Web.Tests/e2e/harness.mjs";
import { percentile } from "../../tests/Web.Tests/e2e/signal.mjs";
import { speechWav } from "../../tests/Web.Tests/e2e/harness.mjs";

const browser = await launch(speechWav(mkdtempSync(join(tmpdir(), "walkie-bench-"))));
const [alice, bob] = await Promise.all([openUser(browser, "alice"), openUser(browser, "bob")]);
await bob.page.click("#mode");
for (const encrypted of [true, false]) {
  await alice.page.click("#back").catch(() => {});
  const roomId = await createRoom(alice, encrypted ? "bench e2ee" : "bench plain", encrypted);
  await invite(alice, roomId, bob.userId);
  await bob.page.click("#back").catch(() => {});
  await joinAndOpen(bob, roomId);
  await alice.page.click('[data-consent="null"]');
  await bob.page.click('[data-consent="null"]');
  if (encrypted) await until(bob, ([r, a]) => window.walkie.keys.has(r, a), [roomId, { userId: alice.userId, deviceId: alice.deviceId }]);
  const all = [];
  for (let i = 0; i < 3; i++) {
    const burst = await holdToTalk(alice, 4000);
    await until(bob, ([r, e, n]) => window.walkie.player.decoded.filter((d) => d.roomId === r && d.epoch === e).length >= n - 2, [roomId, burst.epoch, burst.packets]);
    const heard = await decodedBurst(bob, roomId, burst.epoch);
    const sent = new Map(await alice.page.evaluate(() => [...window.walkie.sentAt.entries()]));
    for (const f of heard.frames) if (sent.has(f.seq)) all.push(f.at - sent.get(f.seq));
  }
  all.sort((a, b) => a - b);
  console.log(`${encrypted ? "encrypted (kind 2)" : "unencrypted (kind 1)"}: ${all.length} frames, p50 ${percentile(all, 50).toFixed(1)} ms, p99 ${percentile(all, 99).toFixed(1)} ms`);
}
await browser.close();
