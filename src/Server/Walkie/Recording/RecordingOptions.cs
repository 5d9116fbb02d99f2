namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>Limits of server-side recording (<c>Walkie:Recording</c> in configuration).</summary>
public sealed class RecordingOptions
{
    public const string Section = "Walkie:Recording";

    /// <summary>Frames kept of one burst beyond the room's max talk time (× 50 frames a second): the relay's own slack.</summary>
    public int SlackFrames { get; set; } = 50;

    /// <summary>Hard cap on frames kept of one burst, whatever the room's max talk time says (default 10 minutes).</summary>
    public int MaxFramesPerBurst { get; set; } = 30_000;

    /// <summary>Hard cap on payload bytes kept of one burst (frames are at most 1,500 bytes; voice at 24 kbit/s is ~60 bytes).</summary>
    public long MaxBytesPerBurst { get; set; } = 8 * 1024 * 1024;

    /// <summary>Ended bursts waiting for the worker; past this a burst is dropped (and logged) rather than blocking the relay.</summary>
    public int QueueCapacity { get; set; } = 256;

    /// <summary>Attempts at storing and posting one recording before it is given up (logged and audited as RecordingFailed).</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Wait before the first retry; doubled for each further one.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A burst that saw no frame for this long and was never ended (a lost BurstEnded) is forgotten.</summary>
    public TimeSpan AbandonAfter { get; set; } = TimeSpan.FromMinutes(2);
}
