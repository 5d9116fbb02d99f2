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
    // One mutable entry per room, updated in place: a frame allocates nothing (50 frames/s per talking room).
    readonly ConcurrentDictionary<string, Last> _last = new();

    sealed class Last(long epoch, DateTimeOffset at)
    {
        public long Epoch = epoch;
        public DateTimeOffset At = at;
    }

    public DateTimeOffset? LastFrameAt(string roomId, long epoch)
    {
        if (!_last.TryGetValue(roomId, out var last)) return null;
        lock (last) return last.Epoch == epoch ? last.At : null;
    }

    public void FrameReceived(string roomId, long epoch, DateTimeOffset at)
    {
        if (!_last.TryGetValue(roomId, out var last))
        {
            var fresh = new Last(epoch, at);
            last = _last.GetOrAdd(roomId, fresh);
            if (ReferenceEquals(last, fresh)) return;
        }
        lock (last)
            if (epoch > last.Epoch || (epoch == last.Epoch && at > last.At))
                (last.Epoch, last.At) = (epoch, at);
    }
}
