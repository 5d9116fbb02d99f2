namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>
/// Sees the audio the live stream relays, burst by burst (a burst is one grant: room + epoch). Called on the relay
/// path, so implementations must be quick and must not block (copy what they keep: the payload buffer is reused).
/// </summary>
public interface IBurstObserver
{
    /// <summary>A frame from the holder was accepted and relayed.</summary>
    void FrameRelayed(string roomId, long epoch, DeviceRef speaker, uint seq, ReadOnlySpan<byte> payload, DateTimeOffset at);

    /// <summary>The burst's floor ended (released or revoked) after at least one frame; called once per burst.</summary>
    void BurstEnded(BurstSummary burst);
}

/// <summary>One burst as the relay saw it (also the content of the BurstEnded event).</summary>
public sealed record BurstSummary(string RoomId, long Epoch, DeviceRef Speaker, DateTimeOffset StartedAt, DateTimeOffset EndedAt,
    int Frames, long Bytes, string EndReason)
{
    /// <summary>Each frame is one 20 ms Opus packet.</summary>
    public long DurationMs => Frames * 20L;
}
