namespace WalkieTalkie.Client.Listen;

public enum BurstDisposition
{
    /// <summary>Play it now, live: it is in the focused room and the user is free.</summary>
    PlayNow,
    /// <summary>Kept for later: the user is talking, listening to another burst, or it is in another room.</summary>
    Queued,
}

/// <summary>
/// MSC4002's "cache unplayed messages": bursts that arrive while the user talks, listens to another burst, or in a room
/// other than the focused one wait in per-room queues and are handed out afterwards in arrival order, oldest first
/// across rooms. The focused room plays live when the user is free. One burst plays at a time. Thread-safe.
/// </summary>
public sealed class BurstQueue(int maxPerRoom = 100)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedList<(long Order, ReceivedBurst Burst)>> _rooms = new(StringComparer.Ordinal);
    private long _arrivals;

    public string? FocusedRoom { get; private set; }
    public bool IsTalking { get; private set; }
    /// <summary>The burst being played (live or from the queue), until <see cref="Played"/>.</summary>
    public ReceivedBurst? Playing { get; private set; }
    /// <summary>Bursts dropped because a room's queue was full (oldest go first).</summary>
    public long Dropped { get; private set; }

    public int Count { get { lock (_gate) return _rooms.Values.Sum(q => q.Count); } }

    public bool IsFree { get { lock (_gate) return !IsTalking && Playing is null; } }

    public int CountFor(string roomId) { lock (_gate) return _rooms.TryGetValue(roomId, out var q) ? q.Count : 0; }

    public IReadOnlyList<ReceivedBurst> Pending(string roomId)
    {
        lock (_gate) return _rooms.TryGetValue(roomId, out var q) ? q.Select(e => e.Burst).ToList() : [];
    }

    public void Focus(string? roomId) { lock (_gate) FocusedRoom = roomId; }

    public void SetTalking(bool talking) { lock (_gate) IsTalking = talking; }

    /// <summary>A burst began: play it now or keep it.</summary>
    public BurstDisposition Arrive(ReceivedBurst burst)
    {
        ArgumentNullException.ThrowIfNull(burst);
        lock (_gate)
        {
            long order = _arrivals++;
            if (!IsTalking && Playing is null && burst.RoomId == FocusedRoom && CountFor(burst.RoomId) == 0)
            {
                Playing = burst;
                return BurstDisposition.PlayNow;
            }
            if (!_rooms.TryGetValue(burst.RoomId, out var queue))
                _rooms[burst.RoomId] = queue = new LinkedList<(long, ReceivedBurst)>();
            queue.AddLast((order, burst));
            while (queue.Count > maxPerRoom)
            {
                queue.RemoveFirst();
                Dropped++;
            }
            return BurstDisposition.Queued;
        }
    }

    /// <summary>The playing burst finished playing (or the user skipped it).</summary>
    public void Played(ReceivedBurst burst)
    {
        lock (_gate)
            if (ReferenceEquals(Playing, burst))
                Playing = null;
    }

    /// <summary>When the user is free: the oldest unplayed burst of any room (or of <paramref name="roomId"/>), which becomes <see cref="Playing"/>.</summary>
    public bool TryTakeNext(out ReceivedBurst? burst, string? roomId = null)
    {
        lock (_gate)
        {
            burst = null;
            if (IsTalking || Playing is not null)
                return false;
            LinkedList<(long Order, ReceivedBurst Burst)>? from = null;
            foreach (var (room, queue) in _rooms)
            {
                if (queue.Count == 0 || (roomId is not null && room != roomId)) continue;
                if (from is null || queue.First!.Value.Order < from.First!.Value.Order)
                    from = queue;
            }
            if (from is null)
                return false;
            burst = from.First!.Value.Burst;
            from.RemoveFirst();
            Playing = burst;
            return true;
        }
    }
}
