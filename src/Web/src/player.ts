// Incoming bursts: Opus → AudioDecoder → a small jitter buffer → WebAudio. One burst plays at a time; bursts of
// other rooms (or arriving while we talk) wait in a queue and play after, in arrival order (MSC4002 "cache unplayed").
import { FrameSamples, SampleRate, wallClock } from "./capture";

const JitterSeconds = 0.06;

interface Burst { roomId: string; epoch: number; packets: { seq: number; opus: Uint8Array }[]; ended: boolean }
export interface Decoded { roomId: string; epoch: number; seq: number; at: number; pcm: Float32Array }

export class Player {
  readonly context = new AudioContext({ sampleRate: SampleRate });
  private active?: Burst & { decoder: AudioDecoder; next: number; fed: number; lastEnd: number };
  private readonly queue: Burst[] = [];
  private talking = false;
  /** Every decoded frame with its wall-clock time (tests and the latency benchmark read it). */
  readonly decoded: Decoded[] = [];
  onChange: () => void = () => {};

  unplayed(roomId: string): number { return this.queue.filter((b) => b.roomId === roomId).length; }
  playing(): { roomId: string; epoch: number } | undefined { return this.active && { roomId: this.active.roomId, epoch: this.active.epoch }; }

  setTalking(talking: boolean): void {
    this.talking = talking;
    if (!talking) this.advance();
  }

  packet(roomId: string, epoch: number, seq: number, opus: Uint8Array): void {
    if (this.active && this.active.roomId === roomId && this.active.epoch === epoch) return this.feed(seq, opus);
    let burst = this.queue.find((b) => b.roomId === roomId && b.epoch === epoch);
    if (!burst) {
      burst = { roomId, epoch, packets: [], ended: false };
      this.queue.push(burst);
      this.onChange();
    }
    burst.packets.push({ seq, opus });
    this.advance();
  }

  /** The room's floor moved on (idle, or a new epoch): that burst gets no more packets. */
  ended(roomId: string, epoch: number): void {
    const queued = this.queue.find((b) => b.roomId === roomId && b.epoch === epoch);
    if (queued) queued.ended = true;
    if (this.active && this.active.roomId === roomId && this.active.epoch === epoch) {
      this.active.ended = true;
      void this.finish(this.active.decoder);
    }
  }

  private advance(): void {
    if (this.active || this.talking || this.queue.length === 0) return;
    const burst = this.queue.shift()!;
    const decoder = new AudioDecoder({ output: (d) => this.output(d), error: (e) => console.error("opus decoder", e) });
    decoder.configure({ codec: "opus", sampleRate: SampleRate, numberOfChannels: 1 });
    this.active = { ...burst, decoder, next: 0, fed: 0, lastEnd: 0 };
    const packets = burst.packets;
    this.active.packets = [];
    for (const p of packets) this.feed(p.seq, p.opus);
    if (burst.ended) void this.finish(decoder);
    this.onChange();
  }

  private feed(seq: number, opus: Uint8Array): void {
    const a = this.active!;
    a.fed++;
    a.decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: seq * 20000, duration: 20000, data: opus }));
  }

  private output(data: AudioData): void {
    const a = this.active;
    if (!a) { data.close(); return; }
    const pcm = new Float32Array(data.numberOfFrames);
    data.copyTo(pcm, { planeIndex: 0, format: "f32-planar" });
    const seq = Math.round(data.timestamp / 20000);
    data.close();
    this.decoded.push({ roomId: a.roomId, epoch: a.epoch, seq, at: wallClock(), pcm });
    const buffer = this.context.createBuffer(1, pcm.length, SampleRate);
    buffer.copyToChannel(pcm, 0);
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    const now = this.context.currentTime;
    if (a.next < now) a.next = now + JitterSeconds; // first frame or an underrun: refill the jitter buffer
    source.start(a.next);
    a.next += pcm.length / SampleRate;
    a.lastEnd = a.next;
  }

  private async finish(decoder: AudioDecoder): Promise<void> {
    if (decoder.state === "configured") await decoder.flush().catch(() => {});
    const a = this.active;
    if (!a || a.decoder !== decoder) return;
    const wait = Math.max(0, a.lastEnd - this.context.currentTime) * 1000;
    setTimeout(() => {
      if (this.active?.decoder !== decoder) return;
      decoder.close();
      this.active = undefined;
      this.onChange();
      this.advance();
    }, wait);
  }
}

export const frameMs = (FrameSamples / SampleRate) * 1000;
