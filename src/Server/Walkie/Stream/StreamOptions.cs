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
    public int MaxControlMessageBytes { get; set; } = 16 * 1024;
    /// <summary>Relay audio and floor signals to the other server processes on the same database (PostgreSQL NOTIFY).</summary>
    public bool RelayAcrossProcesses { get; set; } = true;
}
