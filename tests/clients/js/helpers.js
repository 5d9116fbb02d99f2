// Helpers around matrix-js-sdk (unmodified): register through the two-step m.login.dummy flow, log in, start a
// client and wait for events the way an app would.
import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";
import { baseUrl, loginAndStart as loginAndStartWith, register as registerWith, unique, withTimeout } from "../shared/session.js";

logger.setLevel(process.env.SDK_LOG ?? "warn");

export { baseUrl, unique, withTimeout };
export const register = (username, password, url) => registerWith(sdk, username, password, url);

/** Logs in with the password and returns a started, PREPARED client. */
export const loginAndStart = (username, password, options) => loginAndStartWith(sdk, username, password, options);

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
