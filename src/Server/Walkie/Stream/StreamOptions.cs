namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>Limits of the live-audio stream, section "Walkie:Stream".</summary>
public sealed class StreamOptions
{
    public const string Section = "Walkie:Stream";

    /// <summary>Per-listener outgoing audio queue; when full the oldest frame goes (about 1.3 s of audio).</summary>
    public int ListenerQueueFrames { get; set; } = 64;
    public int MaxRoomsPerConnection { get; set; } = 32;
    /// <summary>A talker sends 50 frames/s; twice that absorbs jitter, more is dropped.</summary>
    public int MaxFramesPerSecond { get; set; } = 100;
    /// <summary>More invalid frames than this within <see cref="InvalidFrameWindow"/> closes the connection with 1008.</summary>
    public int MaxInvalidFrames { get; set; } = 50;
    public TimeSpan InvalidFrameWindow { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// After a device's grant ends (pre-empted, revoked, released), its frames of that epoch still in flight are dropped
    /// without counting as invalid, for this long and up to <see cref="MaxLateFrames"/> (a talker on a slow link).
    /// </summary>
    public TimeSpan LateFrameGrace { get; set; } = TimeSpan.FromSeconds(5);
    public int MaxLateFrames { get; set; } = 250;
    /// <summary>Frames held in order while the committed floor is read for an epoch this process has not heard of yet.</summary>
    public int MaxHeldFrames { get; set; } = 64;
    public int MaxControlMessageBytes { get; set; } = 16 * 1024;
    /// <summary>Relay audio and floor signals to the other server processes on the same database (PostgreSQL NOTIFY).</summary>
    public bool RelayAcrossProcesses { get; set; } = true;
    /// <summary>
    /// Write to a plain-TCP connection's socket directly rather than through Kestrel's output pipe (see
    /// <see cref="Relay.RelayTransport"/>); false keeps the pipe (for comparison in benchmarks).
    /// </summary>
    public bool WriteToSocket { get; set; } = true;
    /// <summary>
    /// Lanes a big room's listeners are split over, so its fan-out runs on that many threads at once (see
    /// <see cref="Relay.RoomFanout"/>). 1 (the default) keeps every room's fan-out on the relaying thread: with the
    /// clients on the same two cores, a thread-pool lane waited behind their work and p99 at 1,000 listeners got worse
    /// (docs/benchmarks.md, "Relay, 3 Dec afternoon").
    /// </summary>
    public int RelayLanes { get; set; } = 1;
}
