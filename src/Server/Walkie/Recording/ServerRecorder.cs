using WalkieTalkie.Server.Walkie.Stream;

namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>
/// Server-side recording (<c>recording: "server"</c>): keeps a copy of each burst's relayed frames in memory and, when
/// the burst ends, hands them to <see cref="RecordingWorker"/>, which makes the voice message. Everything here runs on the
/// relay path, so it only copies bytes under a short per-burst lock; the room's configuration is loaded on the thread
/// pool when a burst starts, and frames are held provisionally until it is known.
/// </summary>
public sealed class ServerRecorder(RecordingPolicy policy, RecordingWorker worker, IOptions<RecordingOptions> options,
    TimeProvider clock, ILogger<ServerRecorder> logger) : IBurstObserver
{
    readonly ConcurrentDictionary<(string RoomId, long Epoch), BurstBuffer> _bursts = new();
    readonly RecordingOptions _options = options.Value;

    /// <summary>Bursts currently held (ended ones linger briefly so their late frames are recognised).</summary>
    public int HeldBursts => _bursts.Count;

    public void FrameRelayed(string roomId, long epoch, DeviceRef speaker, uint seq, ReadOnlySpan<byte> payload, DateTimeOffset at)
    {
        if (!_bursts.TryGetValue((roomId, epoch), out var burst))
            burst = Start(roomId, epoch, speaker, at);
        burst.Add(seq, payload, at);
    }

    public void BurstEnded(BurstSummary summary)
    {
        if (!_bursts.TryGetValue((summary.RoomId, summary.Epoch), out var burst)) return;
        if (burst.End(summary, clock.GetUtcNow()) is not { } captured) return;
        if (captured.Truncated)
            logger.LogWarning("Recording of {Burst} was cut at a cap: {Kept} of {Frames} frames kept", captured, captured.Frames.Count, summary.Frames);
        if (!worker.TryEnqueue(captured))
            logger.LogError("Recording of {Burst} dropped: {Capacity} recordings are already waiting", captured, _options.QueueCapacity);
    }

    BurstBuffer Start(string roomId, long epoch, DeviceRef speaker, DateTimeOffset at)
    {
        var fresh = new BurstBuffer(roomId, epoch, speaker, at, _options.MaxFramesPerBurst, _options.MaxBytesPerBurst);
        var burst = _bursts.GetOrAdd((roomId, epoch), fresh);
        if (!ReferenceEquals(burst, fresh)) return burst;
        ForgetStale(at);
        _ = Task.Run(() => DecideAsync(fresh));
        return fresh;
    }

    async Task DecideAsync(BurstBuffer burst)
    {
        RoomRecording room;
        try { room = await policy.RefreshAsync(burst.RoomId, CancellationToken.None); }
        catch (Exception e)
        {
            // The worker checks the room again before posting; keep the frames if the room recorded last time we knew.
            room = policy.Known(burst.RoomId) ?? RoomRecording.Off;
            logger.LogWarning(e, "Could not load the recording configuration of {Room} for epoch {Epoch}; using {Known}", burst.RoomId, burst.Epoch, room);
        }
        long frames = room.MaxTalkMs / 20 + _options.SlackFrames;
        burst.Decide(room.ServerRecords, (int)Math.Min(frames, int.MaxValue));
    }

    /// <summary>Ended bursts, and bursts whose end was never reported, are forgotten after a while (checked when bursts start).</summary>
    void ForgetStale(DateTimeOffset now)
    {
        foreach (var (key, burst) in _bursts)
        {
            var idle = now - burst.LastActivity;
            if (burst.Ended ? idle > TimeSpan.FromSeconds(30) : idle > _options.AbandonAfter)
            {
                if (!burst.Ended) logger.LogWarning("Burst {Room} epoch {Epoch} by {Speaker} never ended; its frames are discarded", key.RoomId, key.Epoch, burst.Speaker);
                _bursts.TryRemove(new KeyValuePair<(string, long), BurstBuffer>(key, burst));
            }
        }
    }
}
