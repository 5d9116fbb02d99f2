using WalkieTalkie.Server.Walkie.Stream;

namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>The server recorded a burst and posted it as a voice message in the burst's walkie session.</summary>
public sealed record RecordingAttached(string RoomId, long Epoch, DeviceRef Speaker, string MediaUri, string EventId,
    string SessionRootEventId, long Size, long DurationMs, DateTimeOffset At);

/// <summary>The server gave up on a burst's recording (after retries, or at once when the room refuses the message).</summary>
public sealed record RecordingFailed(string RoomId, long Epoch, DeviceRef Speaker, string Reason, DateTimeOffset At);
