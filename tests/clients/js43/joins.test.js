// Issue 14 with the newest matrix-js-sdk (43, node 22): invite, then joinRoom, twenty times; each time the joiner's
// own sync shows its join. Plain and with the Rust crypto (which syncs and queries keys alongside).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { membershipSeen, newClient } from "./helpers.js";

const Rounds = 20;
const clients = [];
after(() => clients.forEach((c) => c.stopClient()));

async function inviteThenJoin(options) {
  const [alice, bob] = await Promise.all([newClient("alice", options), newClient("bob", options)]);
  clients.push(alice, bob);
  for (let round = 0; round < Rounds; round++) {
    const { room_id: roomId } = await alice.createRoom({ name: `round ${round}` });
    await alice.invite(roomId, bob.getUserId());
    await membershipSeen(bob, roomId, bob.getUserId(), "invite");
    await bob.joinRoom(roomId);
    await membershipSeen(bob, roomId, bob.getUserId(), "join");
    assert.equal(bob.getRoom(roomId).getMyMembership(), "join", `round ${round}`);
  }
}

test("plain: invite then joinRoom twenty times, the joiner's sync shows each join", () => inviteThenJoin());

test("Rust crypto: invite then joinRoom twenty times, the joiner's sync shows each join", () => inviteThenJoin({ crypto: true }));
