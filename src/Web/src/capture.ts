// Microphone → 20 ms mono 48 kHz frames → WebCodecs Opus. The microphone opens on press and closes on release.
export const SampleRate = 48000;
export const FrameSamples = 960;

export interface EncodedPacket { n: number; opus: Uint8Array; capturedAt: number }

// The worklet hands raw 128-sample blocks to the page; framing into 20 ms happens here.
const worklet = `registerProcessor("walkie-tap", class extends AudioWorkletProcessor {
  process(inputs) { const c = inputs[0] && inputs[0][0]; if (c) this.port.postMessage(c.slice(0)); return true; }
});`;

export const wallClock = () => performance.timeOrigin + performance.now();

export class Capture {
  private context?: AudioContext;
  private stream?: MediaStream;
  private tap?: AudioWorkletNode;
  private source?: MediaStreamAudioSourceNode;
  private encoder?: AudioEncoder;
  private pending = new Float32Array(FrameSamples);
  private filled = 0;
  private frames = 0;
  private encoded = 0;
  private readonly capturedAt: number[] = [];
  /** Every captured sample of the current burst (tests compare it with what the listener decoded). */
  captured: Float32Array[] = [];
  onPacket: (packet: EncodedPacket) => void = () => {};

  constructor(private readonly constantBitrate: () => boolean) {}

  async start(): Promise<void> {
    this.filled = 0;
    this.frames = 0;
    this.encoded = 0;
    this.capturedAt.length = 0;
    this.captured = [];
    this.encoder = new AudioEncoder({
      output: (chunk) => {
        const opus = new Uint8Array(chunk.byteLength);
        chunk.copyTo(opus);
        const n = this.encoded++;
        this.onPacket({ n, opus, capturedAt: this.capturedAt[n] ?? wallClock() });
      },
      error: (e) => console.error("opus encoder", e),
    });
    this.encoder.configure({
      codec: "opus", sampleRate: SampleRate, numberOfChannels: 1, bitrate: 24000,
      // CBR in encrypted rooms: packet sizes of VBR speech leak what is said (§8.5).
      bitrateMode: this.constantBitrate() ? "constant" : "variable",
      opus: { frameDuration: 20000, application: "voip" },
    } as AudioEncoderConfig);
    // The context and worklet are made once and kept suspended between bursts: opening them after the microphone
    // would clip the first word.
    const context = await this.prepare();
    await context.resume();
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, sampleRate: SampleRate, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    this.source = context.createMediaStreamSource(this.stream);
    this.source.connect(this.tap!);
  }

  private async prepare(): Promise<AudioContext> {
    if (this.context) return this.context;
    const context = new AudioContext({ sampleRate: SampleRate });
    const url = URL.createObjectURL(new Blob([worklet], { type: "application/javascript" }));
    await context.audioWorklet.addModule(url);
    this.tap = new AudioWorkletNode(context, "walkie-tap");
    this.tap.port.onmessage = (e) => this.push(e.data as Float32Array);
    this.context = context;
    return context;
  }

  private push(block: Float32Array): void {
    if (!this.encoder) return;
    let offset = 0;
    while (offset < block.length) {
      const take = Math.min(FrameSamples - this.filled, block.length - offset);
      this.pending.set(block.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === FrameSamples) {
        const samples = this.pending;
        this.captured.push(samples.slice(0));
        this.capturedAt.push(wallClock());
        const data = new AudioData({ format: "f32-planar", sampleRate: SampleRate, numberOfFrames: FrameSamples,
          numberOfChannels: 1, timestamp: this.frames++ * 20000, data: samples });
        this.encoder.encode(data);
        data.close();
        this.pending = new Float32Array(FrameSamples);
        this.filled = 0;
      }
    }
  }

  /** Stops the microphone and waits until every captured frame came out of the encoder. */
  async stop(): Promise<void> {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.source?.disconnect();
    await this.context?.suspend();
    const encoder = this.encoder;
    this.encoder = undefined;
    if (encoder && encoder.state === "configured") {
      await encoder.flush();
      encoder.close();
    }
    this.stream = undefined;
    this.source = undefined;
  }
}

/** Talk-permit (rising double beep) and busy (three low pulses) tones. */
export function tone(context: AudioContext, kind: "permit" | "busy" | "end"): void {
  const plan = kind === "permit" ? [[880, 0, 0.07], [1320, 0.09, 0.07]]
    : kind === "busy" ? [[425, 0, 0.12], [425, 0.2, 0.12], [425, 0.4, 0.12]] : [[660, 0, 0.06]];
  for (const [freq, at, length] of plan) {
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.frequency.value = freq;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(context.destination);
    osc.start(context.currentTime + at);
    osc.stop(context.currentTime + at + length);
  }
}
