// The live stream WebSocket (`GET $P/stream`): JSON control messages both ways, binary audio frames.
export const Prefix = "/_matrix/client/unstable/org.matrix.msc4002";

export interface Control { type: string; room_id?: string; [field: string]: unknown }

export class StreamClient {
  private socket?: WebSocket;
  private opening?: Promise<void>;
  private readonly channels = new Map<string, number>();
  private readonly rooms = new Map<number, string>();
  private readonly wanted = new Set<string>();
  onControl: (message: Control) => void = () => {};
  onFrame: (roomId: string, frame: Uint8Array) => void = () => {};
  onClose: () => void = () => {};

  constructor(private readonly baseUrl: string, private readonly token: () => string) {}

  get isOpen(): boolean { return this.socket?.readyState === WebSocket.OPEN; }
  channelOf(roomId: string): number | undefined { return this.channels.get(roomId); }

  /** Opens the socket (once) and subscribes to the rooms; resolves when the server answered `subscribed`. */
  async subscribe(rooms: string[]): Promise<void> {
    rooms.forEach((r) => this.wanted.add(r));
    await this.open();
    const missing = rooms.filter((r) => !this.channels.has(r));
    if (missing.length === 0) return;
    const answered = new Promise<void>((resolve) => {
      const previous = this.onSubscribed;
      this.onSubscribed = () => { this.onSubscribed = previous; resolve(); };
    });
    this.send({ type: "subscribe", rooms: missing });
    await answered;
  }

  private onSubscribed: () => void = () => {};

  private open(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    if (this.opening) return this.opening;
    const url = new URL(`${Prefix}/stream`, this.baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("access_token", this.token());
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.opening = new Promise<void>((resolve, reject) => {
      socket.onopen = () => { this.opening = undefined; resolve(); };
      socket.onerror = () => { this.opening = undefined; reject(new Error("the live stream did not open")); };
    });
    socket.onmessage = (e) => {
      if (typeof e.data === "string") this.control(JSON.parse(e.data) as Control);
      else {
        const frame = new Uint8Array(e.data as ArrayBuffer);
        const room = this.rooms.get((frame[2] << 8) | frame[3]);
        if (room) this.onFrame(room, frame);
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.channels.clear();
      this.rooms.clear();
      this.onClose();
    };
    return this.opening;
  }

  private control(message: Control): void {
    if (message.type === "subscribed") {
      for (const [room, channel] of Object.entries(message.channels as Record<string, number>)) {
        this.channels.set(room, channel);
        this.rooms.set(channel, room);
      }
      this.onSubscribed();
    }
    this.onControl(message);
  }

  send(message: Control): void { this.socket?.send(JSON.stringify(message)); }
  sendFrame(frame: Uint8Array): void { if (this.isOpen) this.socket!.send(frame); }

  /** Closes the socket (leaving walkie mode: battery); the server then sends nothing. */
  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.channels.clear();
    this.rooms.clear();
    this.wanted.clear();
    socket?.close(1000);
  }
}
