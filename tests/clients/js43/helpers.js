// Helpers around matrix-js-sdk 43 (unmodified, node 22): register through the two-step m.login.dummy flow, log in,
// start a client and wait for what its sync shows, the way an app would.
import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";
import { baseUrl, loginAndStart, register as registerWith, unique, withTimeout } from "../shared/session.js";

logger.setLevel(process.env.SDK_LOG ?? "warn");

export { baseUrl, unique, withTimeout };
const register = (username, password) => registerWith(sdk, username, password);

/** Registers, logs in and returns a started, PREPARED client (with Rust crypto when asked). */
export async function newClient(prefix, { crypto = false } = {}) {
  const username = unique(prefix);
  const password = "walkie talkie";
  await register(username, password);
  return loginAndStart(sdk, username, password, { crypto });
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
