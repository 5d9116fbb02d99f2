namespace WalkieTalkie.Server.Walkie.Stream.Relay;

/// <summary>
/// The listeners of one room, split into lanes so a big room's fan-out uses every core. A lane is a serial worker:
/// it hands each frame (and each room-wide control message) to its listeners in the order they were posted, so a
/// listener, which stays in one lane for as long as it listens, gets them in order. Lane 0 runs on the thread that
/// relays (no hop while it is idle); the others run on the thread pool, one work item per wake-up, not one per
/// listener. A room fills lane 0 up to <see cref="InlineListeners"/> listeners (a small room never leaves the relaying
/// thread), then each new listener joins the smallest lane.
/// </summary>
sealed class RoomFanout
{
    /// <summary>Listeners of lane 0 before the other lanes take any: below this a thread hop costs more than it saves.</summary>
    public const int InlineListeners = 64;
    readonly RelayLane[] _lanes;
    volatile (StreamConnection Connection, StreamConnection.Subscription Subscription)[] _all = [];

    public RoomFanout(int lanes, Action<int> relayed)
    {
        _lanes = new RelayLane[Math.Max(1, lanes)];
        for (var i = 0; i < _lanes.Length; i++) _lanes[i] = new RelayLane(inline: i == 0, relayed);
    }

    /// <summary>Every listener, for control messages to one device's connections and for counts (read without a lock).</summary>
    public (StreamConnection Connection, StreamConnection.Subscription Subscription)[] All => _all;

    /// <summary>Under the room's lock.</summary>
    public void Add(StreamConnection connection, StreamConnection.Subscription subscription)
    {
        var lane = _lanes[0].Count < InlineListeners ? _lanes[0] : _lanes.MinBy(l => l.Count)!;
        lane.Add((connection, subscription));
        _all = [.. _all, (connection, subscription)];
    }

    /// <summary>Under the room's lock.</summary>
    public void Remove(StreamConnection connection)
    {
        foreach (var lane in _lanes) lane.Remove(connection);
        _all = _all.Where(l => l.Connection != connection).ToArray();
    }

    /// <summary>One audio frame to every consenting listener but the speaker; takes no reference of the caller's.</summary>
    public void Audio(RelayFrame frame, DeviceRef? speaker, long nowMs)
    {
        foreach (var lane in _lanes)
        {
            if (lane.Count == 0) continue;
            frame.AddRef(); // the lane's, given back when it has handed the frame to its listeners
            lane.Post(new LaneItem(frame, speaker, nowMs));
        }
    }

    /// <summary>A room-wide control message, in order with the audio (`floor.idle` never overtakes a burst's last frames).</summary>
    public void Control(RelayFrame text, DeviceRef? except)
    {
        foreach (var lane in _lanes)
            if (lane.Count > 0) lane.Post(new LaneItem(text, except, 0));
    }
}

/// <summary>A frame for a lane: audio (skip <see cref="Skip"/>, the speaker, and listeners without consent at <see cref="NowMs"/>) or control (skip the device).</summary>
readonly record struct LaneItem(RelayFrame Frame, DeviceRef? Skip, long NowMs);

/// <summary>One lane of a room's fan-out: its listeners and the frames waiting for them, handed on in order by one worker at a time.</summary>
sealed class RelayLane(bool inline, Action<int> relayed) : IThreadPoolWorkItem
{
    readonly Lock _gate = new();
    readonly Queue<LaneItem> _pending = new();
    volatile (StreamConnection Connection, StreamConnection.Subscription Subscription)[] _listeners = [];
    bool _busy;

    public int Count => _listeners.Length;

    public void Add((StreamConnection, StreamConnection.Subscription) listener) => _listeners = [.. _listeners, listener];

    public void Remove(StreamConnection connection)
    {
        if (_listeners.Any(l => l.Connection == connection)) _listeners = _listeners.Where(l => l.Connection != connection).ToArray();
    }

    public void Post(LaneItem item)
    {
        bool now = false, schedule = false;
        lock (_gate)
        {
            if (!_busy && _pending.Count == 0 && inline) now = _busy = true;
            else
            {
                _pending.Enqueue(item);
                if (!_busy) schedule = _busy = true;
            }
        }
        if (now)
        {
            Deliver(item);
            Drain(); // what other threads posted meanwhile, in order
        }
        else if (schedule) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => Drain();

    // At most this many waiting frames are handed to a listener as one write.
    const int BatchItems = 16;
    readonly LaneItem[] _batch = new LaneItem[BatchItems];
    readonly RelayFrame[] _mine = new RelayFrame[BatchItems];

    void Drain()
    {
        while (true)
        {
            int n;
            lock (_gate)
            {
                for (n = 0; n < BatchItems && _pending.TryDequeue(out var item); n++) _batch[n] = item;
                if (n == 0)
                {
                    _busy = false;
                    return;
                }
            }
            for (var i = 0; i < n;)
            {
                // A run of audio frames goes to each listener as one batch; a control message on its own, in its place.
                var run = 1;
                if (_batch[i].Frame.IsAudio)
                    while (i + run < n && _batch[i + run].Frame.IsAudio) run++;
                if (run == 1) Deliver(_batch[i]);
                else DeliverRun(_batch.AsSpan(i, run));
                i += run;
            }
            Array.Clear(_batch, 0, n);
        }
    }

    void DeliverRun(ReadOnlySpan<LaneItem> run)
    {
        var mine = _mine.AsSpan(0, run.Length);
        var sent = 0;
        foreach (var (listener, subscription) in _listeners)
        {
            var k = 0;
            foreach (var item in run)
                if (listener.Device != item.Skip && subscription.HearsAt(item.NowMs)) mine[k++] = item.Frame;
            if (k == 0) continue;
            listener.SendAudio(mine[..k]);
            sent += k;
        }
        foreach (var item in run) item.Frame.Release();
        mine.Clear();
        relayed(sent);
    }

    void Deliver(LaneItem item)
    {
        var frame = item.Frame;
        if (!frame.IsAudio)
        {
            foreach (var (listener, _) in _listeners)
                if (listener.Device != item.Skip) listener.Send(frame);
            return;
        }
        var sent = 0;
        try
        {
            foreach (var (listener, subscription) in _listeners)
            {
                if (listener.Device == item.Skip || !subscription.HearsAt(item.NowMs)) continue;
                listener.SendAudio(frame);
                sent++;
            }
        }
        finally { frame.Release(); }
        relayed(sent);
    }
}
