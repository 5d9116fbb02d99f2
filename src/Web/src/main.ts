// The page: login/register, room list, a walkie room. State lives in Walkie; this file only draws and wires events.
import * as sdk from "matrix-js-sdk";
import { ClientEvent, type MatrixClient, type Room } from "matrix-js-sdk";
import { decryptAttachment } from "./ogg";
import { ConfigType, Walkie } from "./walkie";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const app = $("app");
let walkie: Walkie | undefined;
let openRoom: string | undefined;
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginScreen(error = ""): void {
  app.innerHTML = `<section class="card"><h1>Walkie-Talkie</h1>
    <label>Homeserver <input id="hs" value="${esc(location.origin)}"></label>
    <label>User <input id="user" autocomplete="username"></label>
    <label>Password <input id="password" type="password" autocomplete="current-password"></label>
    <div class="row"><button id="login">Log in</button><button id="register">Register</button></div>
    <p class="error">${esc(error)}</p></section>`;
  const go = (register: boolean) => void signIn($<HTMLInputElement>("hs").value, $<HTMLInputElement>("user").value,
    $<HTMLInputElement>("password").value, register).catch((e) => loginScreen(String(e.data?.error ?? e.message ?? e)));
  $("login").onclick = () => go(false);
  $("register").onclick = () => go(true);
}

async function signIn(baseUrl: string, user: string, password: string, register: boolean): Promise<void> {
  const anonymous = sdk.createClient({ baseUrl });
  if (register) {
    // Development servers register with m.login.dummy: the first call answers 401 with the UIA session.
    const session = await anonymous.registerRequest({ username: user, password }).then(
      () => { throw new Error("registration did not ask for authentication"); },
      (e) => { if (e.httpStatus !== 401) throw e; return e.data.session as string; });
    await anonymous.registerRequest({ username: user, password, auth: { type: "m.login.dummy", session } });
  }
  const login = await anonymous.loginRequest({ type: "m.login.password", identifier: { type: "m.id.user", user }, password });
  const client = sdk.createClient({ baseUrl, accessToken: login.access_token, userId: login.user_id, deviceId: login.device_id });
  await client.initRustCrypto({ useIndexedDB: false });
  walkie = new Walkie(client);
  (window as unknown as { walkie: Walkie }).walkie = walkie;
  walkie.onChange = () => draw();
  client.on(ClientEvent.Room, () => draw());
  client.on(sdk.RoomEvent.Timeline, () => draw());
  client.on(sdk.RoomStateEvent.Events, () => draw());
  client.on(sdk.RoomEvent.MyMembership, () => draw());
  const prepared = new Promise<void>((resolve) => client.on(ClientEvent.Sync, (s) => { if (s === "PREPARED") resolve(); }));
  await client.startClient({ initialSyncLimit: 30 });
  await prepared;
  draw();
}

function draw(): void {
  if (!walkie) return;
  if (openRoom && walkie.client.getRoom(openRoom)) roomScreen(walkie, walkie.client.getRoom(openRoom)!);
  else roomList(walkie);
}

function header(w: Walkie): string {
  return `<header><span>${esc(w.client.getUserId()!)} · ${esc(w.client.getDeviceId()!)}</span>
    <label><input type="checkbox" id="mode" ${w.walkieMode ? "checked" : ""}> Walkie mode ${w.stream.isOpen ? "(live)" : "(off: /sync only)"}</label></header>`;
}

function wireHeader(w: Walkie): void {
  $<HTMLInputElement>("mode").onchange = (e) => void w.setWalkieMode((e.target as HTMLInputElement).checked);
}

function roomList(w: Walkie): void {
  const rooms = w.client.getRooms();
  const joined = rooms.filter((r) => r.getMyMembership() === "join");
  const invites = rooms.filter((r) => r.getMyMembership() === "invite");
  app.innerHTML = `${header(w)}<section class="card"><h2>Rooms</h2><ul class="rooms">
    ${joined.map((r) => `<li><button class="link" data-open="${esc(r.roomId)}">${esc(r.name)}</button>
      ${w.isWalkieRoom(r.roomId) ? '<span class="badge">walkie</span>' : ""} ${w.isEncrypted(r.roomId) ? '<span class="badge">E2EE</span>' : ""}
      <span class="unplayed" data-unplayed="${esc(r.roomId)}">${w.player.unplayed(r.roomId) || ""}</span></li>`).join("")}
    ${invites.map((r) => `<li>Invited to ${esc(r.name)} <button data-join="${esc(r.roomId)}">Join</button></li>`).join("")}
    </ul><h3>New walkie room</h3>
    <div class="row"><input id="newname" placeholder="Name"><label><input id="encrypted" type="checkbox" checked> encrypted</label>
    <button id="create">Create</button></div></section>`;
  wireHeader(w);
  app.querySelectorAll<HTMLButtonElement>("[data-open]").forEach((b) => (b.onclick = () => { openRoom = b.dataset.open; draw(); }));
  app.querySelectorAll<HTMLButtonElement>("[data-join]").forEach((b) => (b.onclick = () => void w.client.joinRoom(b.dataset.join!).then(draw)));
  $("create").onclick = () => void createRoom(w.client, $<HTMLInputElement>("newname").value || "Walkie", $<HTMLInputElement>("encrypted").checked)
    .then((id) => { openRoom = id; draw(); });
}

export async function createRoom(client: MatrixClient, name: string, encrypted: boolean): Promise<string> {
  const initial_state = [{ type: ConfigType, state_key: "", content: { enabled: true } }];
  if (encrypted) initial_state.push({ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } as never });
  const { room_id } = await client.createRoom({
    name, initial_state: initial_state as never,
    // Members write their own consent mirror state (org.matrix.msc4002.member).
    power_level_content_override: { events: { "org.matrix.msc4002.member": 0 } },
  });
  return room_id;
}

function floorText(w: Walkie, room: Room): string {
  const talk = w.talking();
  if (talk?.roomId === room.roomId) return talk.epoch !== undefined ? "You are talking" : talk.queued ? `Queued: position ${talk.queued}` : "Requesting the floor…";
  const floor = w.floors.get(room.roomId);
  if (floor?.state === "taken" && floor.holder) return `${esc(room.getMember(floor.holder.userId)?.name ?? floor.holder.userId)} is talking`;
  return "Nobody is talking";
}

function consentText(w: Walkie, roomId: string): string {
  const c = w.myConsent(roomId);
  return c === undefined ? "You do not receive live audio here." : c === null ? "Consent: until withdrawn." : `Consent until ${new Date(c).toLocaleTimeString()}.`;
}

function roomScreen(w: Walkie, room: Room): void {
  const voice = room.getLiveTimeline().getEvents().filter((e) => e.getContent().msgtype === "m.audio");
  const threads = room.getThreads().flatMap((t) => t.events.filter((e) => e.getContent().msgtype === "m.audio"));
  const messages = [...new Map([...voice, ...threads].map((e) => [e.getId(), e])).values()];
  app.innerHTML = `${header(w)}<section class="card"><button class="link" id="back">← Rooms</button>
    <h2>${esc(room.name)} ${w.isEncrypted(room.roomId) ? '<span class="badge">E2EE</span>' : ""}</h2>
    <p id="floor" class="floor">${floorText(w, room)}</p>
    <p>Unplayed: <span id="unplayed">${w.player.unplayed(room.roomId)}</span></p>
    <button id="talk" class="talk ${w.talking()?.roomId === room.roomId ? "on" : ""}">Hold to talk (or space)</button>
    <p id="consent">${consentText(w, room.roomId)}</p>
    <div class="row"><button data-consent="3600000">1 h</button><button data-consent="28800000">8 h</button>
      <button data-consent="null">Until withdrawn</button><button id="withdraw">Withdraw</button></div>
    <div class="row"><input id="invitee" placeholder="@user:server"><button id="invite">Invite</button></div>
    <h3>Voice messages</h3><ul id="history">${messages.map((e) => `<li>${esc(e.sender?.name ?? e.getSender()!)} ·
      ${Math.round((e.getContent().info?.duration ?? 0) / 100) / 10} s <button data-play="${esc(e.getId()!)}">▶</button></li>`).join("")}</ul></section>`;
  wireHeader(w);
  $("back").onclick = () => { openRoom = undefined; draw(); };
  const talk = $("talk");
  talk.onpointerdown = () => void w.press(room.roomId);
  talk.onpointerup = talk.onpointerleave = () => void w.release();
  app.querySelectorAll<HTMLButtonElement>("[data-consent]").forEach((b) =>
    (b.onclick = () => void w.consent(room.roomId, b.dataset.consent === "null" ? null : Number(b.dataset.consent))));
  $("withdraw").onclick = () => void w.withdraw(room.roomId);
  $("invite").onclick = () => void w.client.invite(room.roomId, $<HTMLInputElement>("invitee").value);
  app.querySelectorAll<HTMLButtonElement>("[data-play]").forEach((b) =>
    (b.onclick = () => void play(w.client, messages.find((e) => e.getId() === b.dataset.play)!.getContent())));
}

/** Plays a voice message in place; an encrypted attachment is fetched (authenticated media) and decrypted here. */
export async function play(client: MatrixClient, content: Record<string, any>): Promise<HTMLAudioElement> {
  const mxc = content.file?.url ?? content.url;
  const url = client.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true)!;
  const response = await fetch(url, { headers: { Authorization: `Bearer ${client.getAccessToken()}` } });
  let bytes: Uint8Array = new Uint8Array(await response.arrayBuffer());
  if (content.file) bytes = await decryptAttachment(bytes, content.file);
  const audio = new Audio(URL.createObjectURL(new Blob([bytes as BlobPart], { type: "audio/ogg" })));
  await audio.play();
  return audio;
}

document.addEventListener("keydown", (e) => {
  if (e.code === "Space" && openRoom && walkie && !e.repeat && !(e.target instanceof HTMLInputElement)) { e.preventDefault(); void walkie.press(openRoom); }
});
document.addEventListener("keyup", (e) => { if (e.code === "Space" && walkie && !(e.target instanceof HTMLInputElement)) void walkie.release(); });

Object.assign(window, { walkieApi: { createRoom, play, signIn, decryptAttachment } });
loginScreen();
