// Helpers around matrix-js-sdk 43 (unmodified, node 22): register through the two-step m.login.dummy flow, log in,
// start a client and wait for what its sync shows, the way an app would.
import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

logger.setLevel(process.env.SDK_LOG ?? "warn");

export const baseUrl = process.env.HOMESERVER_URL ?? "http://127.0.0.1:8008";

export function unique(prefix) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

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

/** Registers, logs in and returns a started, PREPARED client (with Rust crypto when asked). */
export async function newClient(prefix, { crypto = false } = {}) {
  const username = unique(prefix);
  const password = "walkie talkie";
  await register(username, password);
  const login = await sdk.createClient({ baseUrl }).loginRequest({
    type: "m.login.password", identifier: { type: "m.id.user", user: username }, password,
  });
  const client = sdk.createClient({ baseUrl, accessToken: login.access_token, userId: login.user_id, deviceId: login.device_id });
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

/** Resolves when the client's sync has shown `userId` with `membership` in `roomId` (already, or arriving). */
export function membershipSeen(client, roomId, userId, membership, ms = 20_000) {
  if (client.getRoom(roomId)?.getMember(userId)?.membership === membership) return Promise.resolve();
  return withTimeout(new Promise((resolve) => {
    const onMembership = (_event, member) => {
      if (member.roomId === roomId && member.userId === userId && member.membership === membership) {
        client.off(sdk.RoomMemberEvent.Membership, onMembership);
        resolve();
      }
    };
    client.on(sdk.RoomMemberEvent.Membership, onMembership);
  }), ms, `${userId} never saw itself ${membership} ${roomId} in its sync`);
}

export { sdk };
