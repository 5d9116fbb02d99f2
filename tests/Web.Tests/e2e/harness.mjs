// Browsers, users and a raw stream listener around the walkie-talkie page, shared by the e2e test and the benchmark.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import WebSocket from "ws";

export const baseUrl = (process.env.HOMESERVER_URL ?? "http://127.0.0.1:8008").replace(/\/$/, "");
export const P = "/_matrix/client/unstable/org.matrix.msc4002";
export const unique = (p) => `${p}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** espeak-ng speech as 48 kHz mono 16-bit WAV, with 0.6 s of silence after it (the fake mic plays it once). */
export function speechWav(dir, text = "Walkie talkie check. The quick brown fox jumps over the lazy dog. Over.") {
  const raw = join(dir, "espeak.wav");
  const wav = join(dir, "speech-48k.wav");
  execFileSync("espeak-ng", ["-w", raw, text]);
  execFileSync("sox", [raw, "-r", "48000", "-c", "1", "-b", "16", wav, "pad", "0", "0.6"]);
  return wav;
}

/** The samples of a 16-bit mono WAV as floats. */
export function readWav(path) {
  const b = readFileSync(path);
  let at = 12;
  while (at < b.length) {
    const id = b.toString("ascii", at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === "data") {
      const out = new Float32Array(size / 2);
      for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(at + 8 + 2 * i) / 32768;
      return out;
    }
    at += 8 + size + (size & 1);
  }
  throw new Error(`no data chunk in ${path}`);
}

/** Debian's chromium, headless, with a fake microphone that plays `wav` once each time a capture opens. */
export function launch(wav) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${wav}%noloop`, "--autoplay-policy=no-user-gesture-required"],
  });
}

/** A new browser context on /walkie/, registered through the page's own form; resolves once the room list shows. */
export async function openUser(browser, prefix) {
  const context = await browser.newContext({ viewport: { width: 720, height: 900 } });
  const page = await context.newPage();
  const name = unique(prefix);
  page.on("console", (m) => { if (m.type() === "error") console.log(`[${prefix} console] ${m.text()}`); });
  page.on("pageerror", (e) => console.log(`[${prefix} pageerror] ${e.message}`));
  await page.goto(`${baseUrl}/walkie/`);
  await page.fill("#user", name);
  await page.fill("#password", "walkie talkie");
  await page.click("#register");
  await page.waitForSelector("#create", { timeout: 60_000 });
  const userId = await page.evaluate(() => window.walkie.client.getUserId());
  const deviceId = await page.evaluate(() => window.walkie.client.getDeviceId());
  return { page, context, name, userId, deviceId };
}

/** Waits until `fn(arg)` is truthy in the page. */
export const until = (user, fn, arg, timeout = 30_000) => user.page.waitForFunction(fn, arg, { timeout, polling: 100 });

async function call(method, path, token, body) {
  const r = await fetch(`${baseUrl}${path}`, {
    method, headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json().catch(() => ({}));
  return { status: r.status, json };
}

/**
 * A device without Olm keys that consents and records every frame the server relays to it: what the server and any
 * eavesdropper with consent see. Senders cannot give it audio keys (it has no device keys).
 */
export async function rawListener(roomId, invite) {
  const name = unique("raw");
  const first = await call("POST", "/_matrix/client/v3/register", undefined, { username: name, password: "walkie talkie" });
  const reg = await call("POST", "/_matrix/client/v3/register", undefined,
    { username: name, password: "walkie talkie", auth: { type: "m.login.dummy", session: first.json.session } });
  if (reg.status !== 200) throw new Error(`raw listener registration: ${reg.status} ${JSON.stringify(reg.json)}`);
  const token = reg.json.access_token;
  await invite(reg.json.user_id);
  const join = await call("POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, token, {});
  if (join.status !== 200) throw new Error(`raw listener join: ${join.status} ${JSON.stringify(join.json)}`);
  const consent = await call("PUT", `${P}/rooms/${encodeURIComponent(roomId)}/consent`, token, {});
  if (consent.status !== 200) throw new Error(`raw listener consent: ${consent.status} ${JSON.stringify(consent.json)}`);
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}${P}/stream?access_token=${encodeURIComponent(token)}`);
  const frames = [];
  const control = [];
  await new Promise((resolve, reject) => { ws.on("open", resolve); ws.on("error", reject); });
  ws.on("message", (data, binary) => {
    if (binary) frames.push(new Uint8Array(data));
    else control.push(JSON.parse(data.toString()));
  });
  ws.send(JSON.stringify({ type: "subscribe", rooms: [roomId] }));
  while (!control.some((m) => m.type === "subscribed")) await sleep(50);
  return { userId: reg.json.user_id, deviceId: reg.json.device_id, frames, control, close: () => ws.close() };
}

/** Presses the talk button for `ms` (pointer), waits until the burst left the encoder and the floor was released. */
export async function holdToTalk(user, ms) {
  const box = await user.page.locator("#talk").boundingBox();
  await user.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await user.page.mouse.down();
  await until(user, () => window.walkie.talking()?.epoch !== undefined, undefined, 20_000);
  await sleep(ms);
  await user.page.mouse.up();
  await until(user, () => window.walkie.talking() === undefined);
  return user.page.evaluate(() => window.walkie.lastBurst);
}

export async function createRoom(user, name, encrypted) {
  await user.page.fill("#newname", name);
  if (!encrypted) await user.page.uncheck("#encrypted");
  await user.page.click("#create");
  await user.page.waitForSelector("#talk");
  return user.page.evaluate((n) => window.walkie.client.getRooms().find((r) => r.name === n).roomId, name);
}

export async function invite(user, roomId, userId) {
  await user.page.evaluate(([r, u]) => window.walkie.client.invite(r, u), [roomId, userId]);
}

/** Joins through the room list's Join button and opens the room. */
export async function joinAndOpen(user, roomId) {
  await user.page.waitForSelector(`[data-join="${roomId}"]`, { timeout: 30_000 });
  await user.page.click(`[data-join="${roomId}"]`);
  await user.page.waitForSelector(`[data-open="${roomId}"]`, { timeout: 30_000 });
  await user.page.click(`[data-open="${roomId}"]`);
  await user.page.waitForSelector("#talk");
}

export async function openRoom(user, roomId) {
  if (await user.page.$("#back")) await user.page.click("#back");
  await user.page.click(`[data-open="${roomId}"]`);
  await user.page.waitForSelector("#talk");
}

/** The page's decoded PCM of one burst (room, epoch), concatenated in seq order, and each frame's decode time. */
export function decodedBurst(user, roomId, epoch) {
  return user.page.evaluate(([r, e]) => {
    const frames = window.walkie.player.decoded.filter((d) => d.roomId === r && d.epoch === e).sort((a, b) => a.seq - b.seq);
    return { pcm: frames.flatMap((f) => Array.from(f.pcm)), frames: frames.map((f) => ({ seq: f.seq, at: f.at })) };
  }, [roomId, epoch]);
}
