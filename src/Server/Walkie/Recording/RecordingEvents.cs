namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>
/// The audit stream of a room's bursts, <c>bursts:{roomId}</c>: the relay's record of each burst and, after it, what became
/// of its recording. Read with the floor stream (<c>floor:{roomId}</c>) it tells grant → broadcast → recording.
/// </summary>
public static class BurstStream
{
    public static string Id(string roomId) => $"bursts:{roomId}";
}

/// <summary>The server recorded a burst and posted it as a voice message in the burst's walkie session.</summary>
public sealed record RecordingAttached(string RoomId, long Epoch, DeviceRef Speaker, string MediaUri, string EventId,
    string SessionRootEventId, long Size, long DurationMs, DateTimeOffset At);

/// <summary>The server gave up on a burst's recording (after retries, or at once when the room refuses the message).</summary>
public sealed record RecordingFailed(string RoomId, long Epoch, DeviceRef Speaker, string Reason, DateTimeOffset At);
