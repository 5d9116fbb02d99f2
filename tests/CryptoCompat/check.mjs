// End-to-end check of the keys and to-device endpoints with matrix-rust-sdk-crypto (what matrix-js-sdk's initRustCrypto
// uses): key upload, cross-signing bootstrap, signature upload, query with signature verification, claim, an Olm
// to-device room key, fallback keys. Until /sync exists, Alice's to-device inbox is read from the event store with psql.
//
//   npm install && BASE=http://127.0.0.1:8008 PGHOST=127.0.0.1 PGPORT=5432 PGDATABASE=walkie node check.mjs
import * as sdk from "@matrix-org/matrix-sdk-crypto-wasm";
import { execFileSync } from "node:child_process";

const base = process.env.BASE ?? "http://127.0.0.1:8008";
// psql takes PGHOST, PGPORT, PGDATABASE and PGUSER from the environment.
const psql = (sql) => execFileSync("psql", ["-U", process.env.PGUSER ?? "postgres", "-At", "-c", sql]).toString();
const log = (...a) => console.log(...a);
function assert(c, m) { if (!c) { throw new Error("ASSERT: " + m); } log("ok -", m); }

async function http(method, path, token, body) {
  const r = await fetch(base + path, { method, headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}) }, body });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path} -> ${r.status} ${text}`);
  return text;
}

async function register(name) {
  const u = name + Math.random().toString(36).slice(2, 8);
  const first = await fetch(base + "/_matrix/client/v3/register", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: u, password: "pw" }) });
  const session = (await first.json()).session;
  return JSON.parse(await http("POST", "/_matrix/client/v3/register", null, JSON.stringify({ username: u, password: "pw", auth: { type: "m.login.dummy", session } })));
}

async function send(machine, token, req) {
  const T = sdk.RequestType;
  let resp;
  switch (req.type) {
    case T.KeysUpload: resp = await http("POST", "/_matrix/client/v3/keys/upload", token, req.body); break;
    case T.KeysQuery: resp = await http("POST", "/_matrix/client/v3/keys/query", token, req.body); break;
    case T.KeysClaim: resp = await http("POST", "/_matrix/client/v3/keys/claim", token, req.body); break;
    case T.SignatureUpload: resp = await http("POST", "/_matrix/client/v3/keys/signatures/upload", token, req.body); break;
    case T.ToDevice: resp = await http("PUT", `/_matrix/client/v3/sendToDevice/${encodeURIComponent(req.event_type)}/${encodeURIComponent(req.txn_id)}`, token, req.body); break;
    default: throw new Error("unexpected request type " + req.type);
  }
  if (req.id) await machine.markRequestAsSent(req.id, req.type, resp);
  return resp;
}

async function flush(machine, token) {
  for (let i = 0; i < 5; i++) {
    const reqs = await machine.outgoingRequests();
    if (reqs.length === 0) return;
    for (const r of reqs) await send(machine, token, r);
  }
}

const alice = await register("alice");
const bob = await register("bob");
const am = await sdk.OlmMachine.initialize(new sdk.UserId(alice.user_id), new sdk.DeviceId(alice.device_id));
const bm = await sdk.OlmMachine.initialize(new sdk.UserId(bob.user_id), new sdk.DeviceId(bob.device_id));

// Initial key upload (device keys + OTKs + fallback key).
const firstUpload = (await am.outgoingRequests()).find(r => r.type === sdk.RequestType.KeysUpload);
const counts = JSON.parse(await send(am, alice.access_token, firstUpload));
assert(counts.one_time_key_counts.signed_curve25519 === Object.keys(JSON.parse(firstUpload.body).one_time_keys ?? {}).length, "one_time_key_counts after upload: " + JSON.stringify(counts));
await flush(am, alice.access_token);
await flush(bm, bob.access_token);

// Cross-signing bootstrap on Alice (first upload: no UIA).
const boot = await am.bootstrapCrossSigning(true);
if (boot.uploadKeysRequest) await send(am, alice.access_token, boot.uploadKeysRequest);
await http("POST", "/_matrix/client/v3/keys/device_signing/upload", alice.access_token, boot.uploadSigningKeysRequest.body);
const sigResp = await send(am, alice.access_token, boot.uploadSignaturesRequest);
assert(Object.keys(JSON.parse(sigResp).failures).length === 0, "signatures/upload has no failures: " + sigResp);
const status = await am.crossSigningStatus();
assert(status.hasMaster && status.hasSelfSigning && status.hasUserSigning, "Alice has all cross-signing keys");

// Bob downloads Alice's keys and checks the signatures (device self-signature + cross-signing chain).
await bm.updateTrackedUsers([new sdk.UserId(alice.user_id)]);
await flush(bm, bob.access_token);
const dev = await bm.getDevice(new sdk.UserId(alice.user_id), new sdk.DeviceId(alice.device_id));
assert(dev !== undefined, "Bob sees Alice's device after /keys/query");
assert(dev.isCrossSignedByOwner(), "Alice's device is cross-signed by its owner (signatures/upload merged into /keys/query)");
const identity = await bm.getIdentity(new sdk.UserId(alice.user_id));
assert(identity !== undefined, "Bob sees Alice's cross-signing identity (master + self-signing keys verify)");

// Alice re-queries her own keys too (user-signing key visible to herself).
await am.updateTrackedUsers([new sdk.UserId(alice.user_id), new sdk.UserId(bob.user_id)]);
await flush(am, alice.access_token);
const own = await am.getIdentity(new sdk.UserId(alice.user_id));
assert(own !== undefined && own.isVerified(), "Alice's own identity is verified from the server's copy");

// Bob claims a one-time key, shares a room key over to-device, encrypts a message.
const room = new sdk.RoomId("!room:localhost");
const claim = await bm.getMissingSessions([new sdk.UserId(alice.user_id)]);
assert(claim !== undefined && claim !== null, "Bob needs an Olm session with Alice");
const claimed = await send(bm, bob.access_token, claim);
assert(JSON.parse(claimed).one_time_keys[alice.user_id][alice.device_id] !== undefined, "/keys/claim returned a key");
const settings = new sdk.EncryptionSettings();
const shares = await bm.shareRoomKey(room, [new sdk.UserId(alice.user_id)], settings);
assert(shares.length > 0, "room key share produces to-device requests");
for (const r of shares) await send(bm, bob.access_token, r);
for (const r of shares) await send(bm, bob.access_token, r); // a retry with the same txn id must not deliver twice
const encrypted = await bm.encryptRoomEvent(room, "m.room.message", JSON.stringify({ msgtype: "m.text", body: "over and out" }));

// Alice receives her to-device messages as /sync would deliver them (read straight from the event store here).
const rows = psql(`select data from walkie.mt_events where stream_id = 'todevice:${alice.user_id}:${alice.device_id}' order by seq_id`).trim().split("\n").filter(Boolean);
assert(rows.length === 1, `exactly one to-device message for Alice (got ${rows.length})`);
const events = rows.map(r => JSON.parse(r)).map(m => ({ sender: m.Sender, type: m.Type, content: JSON.parse(m.ContentJson) }));
await am.receiveSyncChanges(JSON.stringify(events), new sdk.DeviceLists(), new Map(), new Set());
const decrypted = await am.decryptRoomEvent(JSON.stringify({ type: "m.room.encrypted", content: JSON.parse(encrypted), sender: bob.user_id, event_id: "$e1", origin_server_ts: Date.now(), room_id: room.toString() }), room, new sdk.DecryptionSettings(sdk.TrustRequirement.Untrusted));
assert(JSON.parse(decrypted.event).content.body === "over and out", "Alice decrypts Bob's message with the room key that travelled through sendToDevice");

// /sync said "no unused fallback key" (empty set): the machine uploads one now.
const pending = await am.outgoingRequests();
const fallbackUpload = pending.find(r => r.type === sdk.RequestType.KeysUpload);
assert(fallbackUpload && JSON.parse(fallbackUpload.body).fallback_keys, "machine uploads a fallback key");
await flush(am, alice.access_token);
const afterFallback = psql(`select count(*) from walkie.mt_doc_fallbackkey where data->>'UserId' = '${alice.user_id}' and (data->>'Used')::boolean = false`).trim();
assert(afterFallback === "1", "one unused fallback key stored");

// Exhaust Alice's one-time keys: the fallback key takes over.
const n = JSON.parse(await http("POST", "/_matrix/client/v3/keys/upload", alice.access_token, "{}")).one_time_key_counts.signed_curve25519;
const carol = await register("carol");
const cm = await sdk.OlmMachine.initialize(new sdk.UserId(carol.user_id), new sdk.DeviceId(carol.device_id));
let last;
for (let i = 0; i <= n; i++) last = JSON.parse(await http("POST", "/_matrix/client/v3/keys/claim", carol.access_token, JSON.stringify({ one_time_keys: { [alice.user_id]: { [alice.device_id]: "signed_curve25519" } } })));
const lastKey = Object.values(last.one_time_keys[alice.user_id][alice.device_id])[0];
assert(lastKey.fallback === true, "after " + n + " claims the fallback key is handed out");
log("ALL OK");
