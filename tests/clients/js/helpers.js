// Helpers around matrix-js-sdk (unmodified): register through the two-step m.login.dummy flow, log in, start a
// client and wait for events the way an app would.
import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

logger.setLevel(process.env.SDK_LOG ?? "warn");

export const baseUrl = process.env.HOMESERVER_URL ?? "http://127.0.0.1:8008";

export function unique(prefix) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Registers `username` (UIA: first call answers 401 with a session, the second completes m.login.dummy). */
export async function register(username, password) {
  const anonymous = sdk.createClient({ baseUrl });
  let session;
  try {
    await anonymous.registerRequest({ username, password });
    throw new Error("registration without auth should have asked for user-interactive auth");
  } catch (e) {
    if (e.httpStatus !== 401) throw e;
    session = e.data.session;
  }
  return anonymous.registerRequest({ username, password, auth: { type: "m.login.dummy", session } });
}

/** Logs in with the password and returns a started, PREPARED client. */
export async function loginAndStart(username, password, { crypto = false } = {}) {
  const anonymous = sdk.createClient({ baseUrl });
  const login = await anonymous.loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user: username },
    password,
  });
  const client = sdk.createClient({
    baseUrl,
    accessToken: login.access_token,
    userId: login.user_id,
    deviceId: login.device_id,
  });
  if (crypto) await client.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise((resolve, reject) => {
    client.on(sdk.ClientEvent.Sync, (state, _prev, data) => {
      if (state === "PREPARED") resolve();
      if (state === "ERROR") reject(data?.error ?? new Error("sync error"));
    });
  });
  await client.startClient({ initialSyncLimit: 20 });
  await withTimeout(prepared, 30_000, `${username} never reached PREPARED`);
  return client;
}

export function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); }),
  ]);
}

/** Resolves with the first timeline event in `roomId` that matches `predicate` (already there or arriving by sync). */
export function waitForEvent(client, roomId, predicate, ms = 20_000) {
  const existing = client.getRoom(roomId)?.getLiveTimeline().getEvents().find(predicate);
  if (existing) return Promise.resolve(existing);
  return withTimeout(new Promise((resolve) => {
    const onTimeline = (event, room) => {
      if (room?.roomId === roomId && predicate(event)) {
        client.off(sdk.RoomEvent.Timeline, onTimeline);
        resolve(event);
      }
    };
    client.on(sdk.RoomEvent.Timeline, onTimeline);
  }), ms, `no matching event in ${roomId}`);
}

export function waitFor(client, eventName, predicate, ms = 20_000) {
  return withTimeout(new Promise((resolve) => {
    const handler = (...args) => {
      if (predicate(...args)) {
        client.off(eventName, handler);
        resolve(args);
      }
    };
    client.on(eventName, handler);
  }), ms, `no ${eventName} matched`);
}

/** Polls `condition` every 50 ms (for state the SDK exposes without an event to wait on). */
export async function until(condition, message, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export { sdk };
