using WalkieTalkie.Server.Walkie.Stream;

namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>One relayed frame of a burst as the recorder kept it (its own copy of the payload).</summary>
public readonly record struct RelayedFrame(uint Seq, ReadOnlyMemory<byte> Payload);

/// <summary>An ended burst with its frames, on its way to the recording worker.</summary>
public sealed record CapturedBurst(BurstSummary Summary, IReadOnlyList<RelayedFrame> Frames, bool Truncated)
{
    public override string ToString() => $"{Summary.RoomId} epoch {Summary.Epoch} by {Summary.Speaker}";
}

/// <summary>
/// The frames of one burst while it lasts: payloads copied into one growing array, bounded in frames and bytes. Frames
/// are kept provisionally until the room's recording decision is known, then kept or dropped. Thread-safe; the lock is
/// held only for a copy.
/// </summary>
public sealed class BurstBuffer(string roomId, long epoch, DeviceRef speaker, DateTimeOffset firstFrameAt, int maxFrames, long maxBytes)
{
    enum Decision { Pending, Record, Skip }

    readonly object _gate = new();
    readonly List<(uint Seq, int Start, int Length)> _frames = [];
    byte[] _data = new byte[4096];
    int _length;
    int _maxFrames = maxFrames;
    Decision _decision;
    bool _ended;

    public string RoomId { get; } = roomId;
    public long Epoch { get; } = epoch;
    public DeviceRef Speaker { get; } = speaker;
    public DateTimeOffset LastActivity { get; private set; } = firstFrameAt;
    public bool Ended { get { lock (_gate) return _ended; } }
    /// <summary>Frames arrived past a cap and were not kept: the recording is shorter than the burst.</summary>
    public bool Truncated { get; private set; }

    public void Add(uint seq, ReadOnlySpan<byte> payload, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (_ended || _decision == Decision.Skip) return;
            LastActivity = at;
            if (_frames.Count >= _maxFrames || _length + payload.Length > maxBytes)
            {
                Truncated = true;
                return;
            }
            if (_length + payload.Length > _data.Length)
                Array.Resize(ref _data, (int)Math.Min(Math.Max(_data.Length * 2L, _length + payload.Length), maxBytes));
            payload.CopyTo(_data.AsSpan(_length));
            _frames.Add((seq, _length, payload.Length));
            _length += payload.Length;
        }
    }

    /// <summary>The room's decision arrived: keep recording (within the room's max talk time) or drop everything.</summary>
    public void Decide(bool record, int frameCap)
    {
        lock (_gate)
        {
            if (!record)
            {
                _decision = Decision.Skip;
                _frames.Clear();
                _data = [];
                _length = 0;
                return;
            }
            _decision = Decision.Record;
            _maxFrames = Math.Min(_maxFrames, frameCap);
            if (_frames.Count > _maxFrames)
            {
                _frames.RemoveRange(_maxFrames, _frames.Count - _maxFrames);
                Truncated = true;
            }
        }
    }

    /// <summary>Ends the burst: its frames for the worker, or null when the room does not record (or nothing was kept).</summary>
    public CapturedBurst? End(BurstSummary summary, DateTimeOffset at)
    {
        lock (_gate)
        {
            _ended = true;
            LastActivity = at;
            if (_decision == Decision.Skip || _frames.Count == 0) return null;
            var data = _data; // no longer written: late frames of an ended burst are ignored
            var frames = _frames.Select(f => new RelayedFrame(f.Seq, data.AsMemory(f.Start, f.Length))).ToList();
            _frames.Clear();
            _data = [];
            return new CapturedBurst(summary, frames, Truncated);
        }
    }
}
