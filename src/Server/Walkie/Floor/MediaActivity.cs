namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// When the holder's last audio frame arrived, for the end-of-media timer. The live-audio WebSocket calls
/// <see cref="FrameReceived"/>; until it exists nobody does, and end of media counts from the grant.
/// </summary>
public interface IMediaActivity
{
    DateTimeOffset? LastFrameAt(string roomId, long epoch);
    void FrameReceived(string roomId, long epoch, DateTimeOffset at);
}

/// <summary>Per process: only the latest epoch of each room is kept, and a frame of an older epoch changes nothing.</summary>
public sealed class MediaActivity : IMediaActivity
{
    readonly ConcurrentDictionary<string, (long Epoch, DateTimeOffset At)> _last = new();

    public DateTimeOffset? LastFrameAt(string roomId, long epoch) =>
        _last.TryGetValue(roomId, out var last) && last.Epoch == epoch ? last.At : null;

    public void FrameReceived(string roomId, long epoch, DateTimeOffset at) =>
        _last.AddOrUpdate(roomId, (epoch, at), (_, old) =>
            epoch > old.Epoch || (epoch == old.Epoch && at > old.At) ? (epoch, at) : old);
}
