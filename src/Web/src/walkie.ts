// The walkie-talkie of one signed-in device: consent, floor, live stream, E2EE keys, capture, playback, recordings.
import { ClientEvent, EventType, Method, RoomStateEvent, type MatrixClient, type MatrixEvent, type Room } from "matrix-js-sdk";
import { Capture, tone, wallClock } from "./capture";
import { KindAudio, KindEncrypted, keyIndexOf, openFrame, parseHeader, plainFrame, sealFrame } from "./frame";
import { AudioKeys, MemberType, type DeviceId } from "./keys";
import { Player } from "./player";
import { postRecording } from "./recording";
import { Prefix, StreamClient, type Control } from "./stream";

export const ConfigType = "org.matrix.msc4002.walkie_talkie";
export const FloorType = "org.matrix.msc4002.floor";

export interface FloorView { state: "idle" | "taken"; holder?: DeviceId; epoch: number }
interface Talk { roomId: string; epoch?: number; seq: number; early: { opus: Uint8Array; at: number }[]; sent: Uint8Array[]; startedTs: number; queued?: number }

export class Walkie {
  readonly stream: StreamClient;
  readonly keys: AudioKeys;
  readonly player = new Player();
  readonly capture: Capture;
  readonly floors = new Map<string, FloorView>();
  private readonly seen = new Map<string, Set<number>>();
  private readonly keySync = new Map<string, Promise<void>>();
  private talk?: Talk;
  walkieMode = false;
  /** What the tests read: frames received per room, frames that did not open, what this device encoded and sent. */
  readonly stats = { frames: 0, undecryptable: 0, plaintextRefused: 0, syncFloors: 0, syncOpened: 0 };
  readonly sentOpus: Uint8Array[] = [];
  readonly sentAt = new Map<number, number>();
  lastBurst?: { roomId: string; epoch: number; packets: number };
  onChange: () => void = () => {};

  constructor(readonly client: MatrixClient) {
    this.keys = new AudioKeys(client);
    this.keys.onKey = () => this.onChange();
    this.capture = new Capture(() => this.talk !== undefined && this.isEncrypted(this.talk.roomId));
    this.capture.onPacket = (p) => this.encoded(p.opus, p.capturedAt);
    this.stream = new StreamClient(client.baseUrl, () => client.getAccessToken()!);
    this.stream.onControl = (m) => this.control(m);
    this.stream.onFrame = (roomId, frame) => void this.frame(roomId, frame);
    this.stream.onClose = () => this.onChange();
    this.player.onChange = () => this.onChange();
    client.on(ClientEvent.ToDeviceEvent, (e) => void this.keys.accept(e));
    client.on(RoomStateEvent.Events, (e) => {
      if (e.getType() === MemberType && e.getRoomId()) this.syncKeys(e.getRoomId()!);
    });
    // Outside walkie mode the floor arrives through /sync (ephemeral): a burst starting opens the stream. The sdk
    // ignores unknown ephemeral types in the room and emits them without a room id, so each room's intake is wrapped.
    const watch = (room: Room) => {
      const intake = room.addEphemeralEvents.bind(room);
      room.addEphemeralEvents = (events: MatrixEvent[]) => {
        for (const e of events) if (e.getType() === FloorType) this.ephemeral(room.roomId, e);
        intake(events);
      };
    };
    client.getRooms().forEach(watch);
    client.on(ClientEvent.Room, watch);
  }

  isWalkieRoom(roomId: string): boolean {
    const config = this.client.getRoom(roomId)?.currentState.getStateEvents(ConfigType, "");
    return config?.getContent().enabled === true;
  }
  isEncrypted(roomId: string): boolean { return this.client.getRoom(roomId)?.hasEncryptionStateEvent() ?? false; }
  walkieRooms(): string[] {
    return this.client.getRooms().filter((r) => r.getMyMembership() === "join" && this.isWalkieRoom(r.roomId)).map((r) => r.roomId);
  }

  /** This device's consent in the room as the member state mirrors it: expiry ms, null (permanent), undefined (none). */
  myConsent(roomId: string): number | null | undefined {
    const me = `_${this.client.getUserId()}_${this.client.getDeviceId()}`; // docs/msc4002.md §4.3.1
    const c = this.client.getRoom(roomId)?.currentState.getStateEvents(MemberType, me)?.getContent();
    if (!c?.device_id) return undefined;
    if (typeof c.expires_ts === "number") return c.expires_ts > Date.now() ? c.expires_ts : undefined;
    return null;
  }

  async setWalkieMode(on: boolean): Promise<void> {
    this.walkieMode = on;
    if (on) await this.stream.subscribe(this.walkieRooms());
    else if (!this.talk) this.stream.close();
    this.onChange();
  }

  async consent(roomId: string, durationMs: number | null): Promise<void> {
    await this.client.http.authedRequest(Method.Put, `/rooms/${encodeURIComponent(roomId)}/consent`, undefined,
      durationMs === null ? {} : { duration_ms: durationMs }, { prefix: Prefix });
    if (this.walkieMode) await this.stream.subscribe([roomId]);
    await this.syncKeys(roomId, true);
  }

  async withdraw(roomId: string): Promise<void> {
    await this.client.http.authedRequest(Method.Delete, `/rooms/${encodeURIComponent(roomId)}/consent`, undefined, undefined, { prefix: Prefix });
  }

  /** Keys out to the room's live receivers, one run per room at a time. */
  syncKeys(roomId: string, consenting?: boolean): Promise<void> {
    if (!this.isEncrypted(roomId)) return Promise.resolve();
    const run = (this.keySync.get(roomId) ?? Promise.resolve())
      .then(() => this.keys.sync(roomId, consenting ?? this.myConsent(roomId) !== undefined))
      .catch((e) => console.error("audio keys", e));
    this.keySync.set(roomId, run);
    return run;
  }

  /** Keys in flight settled: the talker waits for them before the first frame (they normally went out on consent). */
  keysSettled(roomId: string): Promise<void> { return this.keySync.get(roomId) ?? Promise.resolve(); }

  async press(roomId: string): Promise<void> {
    if (this.talk) return;
    const talk: Talk = { roomId, seq: 0, early: [], sent: [], startedTs: Date.now() };
    this.talk = talk;
    this.player.setTalking(true);
    await this.stream.subscribe([roomId]);
    if (this.isEncrypted(roomId)) await this.syncKeys(roomId);
    this.stream.send({ type: "floor.request", room_id: roomId, priority: "normal" });
    await this.capture.start();
    this.onChange();
  }

  async release(): Promise<void> {
    const talk = this.talk;
    if (!talk) return;
    await this.capture.stop();
    this.talk = undefined;
    this.player.setTalking(false);
    if (talk.epoch !== undefined) {
      this.stream.send({ type: "floor.release", room_id: talk.roomId, epoch: talk.epoch });
      this.lastBurst = { roomId: talk.roomId, epoch: talk.epoch, packets: talk.sent.length };
      if (this.isEncrypted(talk.roomId) && talk.sent.length > 0 && this.recordingMode(talk.roomId) === "client")
        void postRecording(this.client, talk.roomId, talk.sent, this.capture.captured, talk.epoch, talk.startedTs)
          .catch((e) => console.error("recording", e));
    } else this.stream.send({ type: "floor.release", room_id: talk.roomId, epoch: 0 });
    if (!this.walkieMode) this.stream.close();
    this.onChange();
  }

  talking(): Talk | undefined { return this.talk; }

  private recordingMode(roomId: string): string {
    return this.client.getRoom(roomId)?.currentState.getStateEvents(ConfigType, "")?.getContent().recording ?? "client";
  }

  private encoded(opus: Uint8Array, capturedAt: number): void {
    const talk = this.talk;
    if (!talk) return;
    if (talk.epoch === undefined) {
      // Before the answer: kept and sent on grant (no clipped first word); dropped while queued.
      if (talk.queued === undefined) talk.early.push({ opus, at: capturedAt });
      return;
    }
    void this.sendOpus(talk, opus, capturedAt);
  }

  private sendChain: Promise<void> = Promise.resolve();

  private sendOpus(talk: Talk, opus: Uint8Array, capturedAt = wallClock()): Promise<void> {
    const seq = talk.seq++;
    this.sentOpus.push(opus);
    talk.sent.push(opus);
    this.sentAt.set(seq, capturedAt);
    const channel = this.stream.channelOf(talk.roomId) ?? 0;
    const epoch = talk.epoch!;
    // Frames leave in seq order even though sealing is asynchronous.
    this.sendChain = this.sendChain.then(async () => {
      if (!this.isEncrypted(talk.roomId)) return this.stream.sendFrame(plainFrame(channel, epoch, seq, opus));
      const key = this.keys.current(talk.roomId);
      if (!key) return; // no key, no audio: never plaintext in an encrypted room
      this.stream.sendFrame(await sealFrame(key.key, key.index, channel, epoch, seq, opus));
    });
    return this.sendChain;
  }

  private control(m: Control): void {
    const roomId = m.room_id as string | undefined;
    const talk = this.talk;
    const mine = talk && roomId === talk.roomId;
    switch (m.type) {
      case "floor.granted":
        if (mine && talk!.epoch === undefined) {
          talk!.epoch = m.epoch as number;
          talk!.queued = undefined;
          tone(this.player.context, "permit");
          for (const e of talk!.early.splice(0)) void this.sendOpus(talk!, e.opus, e.at);
        }
        if (roomId) this.floors.set(roomId, { state: "taken", holder: this.me(), epoch: m.epoch as number });
        break;
      case "floor.queued":
        if (mine) { talk!.queued = m.position as number; talk!.early = []; }
        break;
      case "floor.denied":
        if (mine) { tone(this.player.context, "busy"); void this.release(); }
        break;
      case "floor.revoked":
        if (mine) { tone(this.player.context, "end"); void this.release(); }
        break;
      case "floor.taken": {
        const previous = this.floors.get(roomId!);
        if (previous?.state === "taken" && previous.epoch !== m.epoch) this.player.ended(roomId!, previous.epoch);
        const holder = m.holder as { user_id: string; device_id: string };
        this.floors.set(roomId!, { state: "taken", holder: { userId: holder.user_id, deviceId: holder.device_id }, epoch: m.epoch as number });
        break;
      }
      case "floor.idle":
        this.player.ended(roomId!, m.epoch as number);
        this.floors.set(roomId!, { state: "idle", epoch: m.epoch as number });
        break;
    }
    this.onChange();
  }

  private me(): DeviceId { return { userId: this.client.getUserId()!, deviceId: this.client.getDeviceId()! }; }

  private async frame(roomId: string, frame: Uint8Array): Promise<void> {
    const h = parseHeader(frame);
    const floor = this.floors.get(roomId);
    if (!h || !floor?.holder || h.epoch !== floor.epoch) return; // unknown speaker or a stale epoch
    const seen = this.seen.get(`${roomId}|${h.epoch}`) ?? new Set<number>();
    if (seen.has(h.seq)) return; // replayed
    this.seen.set(`${roomId}|${h.epoch}`, seen);
    this.stats.frames++;
    let opus: Uint8Array | null = null;
    if (h.kind === KindEncrypted) {
      const key = this.keys.lookup(roomId, floor.holder, keyIndexOf(frame));
      opus = key ? await openFrame(key, frame) : null;
      if (!opus) { this.stats.undecryptable++; return; }
    } else if (h.kind === KindAudio) {
      if (this.isEncrypted(roomId)) { this.stats.plaintextRefused++; return; }
      opus = frame.subarray(12);
    } else return;
    seen.add(h.seq);
    this.player.packet(roomId, h.epoch, h.seq, opus);
  }

  /** Tests: would this device open `frame` (as received in `roomId` from `sender`) with the keys it holds? */
  async canOpen(roomId: string, sender: DeviceId, frame: Uint8Array): Promise<boolean> {
    const key = this.keys.lookup(roomId, sender, keyIndexOf(frame));
    return key ? (await openFrame(key, frame)) !== null : false;
  }

  private ephemeral(roomId: string, e: MatrixEvent): void {
    const c = e.getContent() as { state: "idle" | "taken"; epoch: number; holder?: { user_id: string; device_id: string } };
    this.stats.syncFloors++;
    if (this.stream.isOpen) return; // the stream is fresher than /sync
    this.floors.set(roomId, { state: c.state, epoch: c.epoch, holder: c.holder && { userId: c.holder.user_id, deviceId: c.holder.device_id } });
    if (c.state === "taken" && this.myConsent(roomId) !== undefined && c.holder?.device_id !== this.client.getDeviceId())
      void this.stream.subscribe([roomId]).then(() => { this.stats.syncOpened++; this.onChange(); });
    this.onChange();
  }
}

export { EventType };
