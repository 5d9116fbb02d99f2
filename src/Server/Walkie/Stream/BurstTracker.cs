using System.Threading.Channels;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>A burst began: the first relayed frame of a grant (event on stream `bursts:{roomId}`).</summary>
public sealed record BurstStarted(string RoomId, long Epoch, DeviceRef Speaker, DateTimeOffset At);

/// <summary>A burst ended with its floor: what was relayed (event on stream `bursts:{roomId}`). Single frames are never events.</summary>
public sealed record BurstEnded(string RoomId, long Epoch, DeviceRef Speaker, DateTimeOffset At, int Frames, long Bytes, long DurationMs,
    string Reason);

/// <summary>
/// The audit stream of a room's bursts, <c>bursts:{roomId}</c>: the relay's record of each burst and, after it, what became
/// of its recording. Read with the floor stream (<c>floor:{roomId}</c>) it tells grant → broadcast → recording.
/// </summary>
public static class BurstStream
{
    public static string Id(string roomId) => $"bursts:{roomId}";
}

/// <summary>
/// Counts the frames of each burst relayed from a talker connected to this process, tells the observers (recording),
/// and when the floor ends appends the BurstStarted/BurstEnded pair to the room's burst stream, off the relay path.
/// </summary>
public sealed class BurstTracker(IDocumentStore store, IEnumerable<IBurstObserver> observers, ILogger<BurstTracker> logger)
    : BackgroundService
{
    readonly ConcurrentDictionary<string, Burst> _current = new();
    readonly Channel<BurstSummary> _ended = Channel.CreateUnbounded<BurstSummary>(new UnboundedChannelOptions { SingleReader = true });
    readonly IBurstObserver[] _observers = observers.ToArray();

    /// <summary>Bursts with frames relayed by this process and no end yet.</summary>
    public int ActiveBursts => _current.Count;

    sealed class Burst(long epoch, DeviceRef speaker, DateTimeOffset startedAt)
    {
        public readonly long Epoch = epoch;
        public readonly DeviceRef Speaker = speaker;
        public readonly DateTimeOffset StartedAt = startedAt;
        public int Frames;
        public long Bytes;
    }

    public void FrameRelayed(string roomId, long epoch, DeviceRef speaker, uint seq, ReadOnlySpan<byte> payload, DateTimeOffset at)
    {
        // The burst of this epoch is there already for every frame but the first: found without allocating.
        if (!_current.TryGetValue(roomId, out var burst) || burst.Epoch != epoch)
            burst = _current.AddOrUpdate(roomId, static (_, a) => new Burst(a.epoch, a.speaker, a.at),
                static (_, old, a) => old.Epoch == a.epoch ? old : new Burst(a.epoch, a.speaker, a.at), (epoch, speaker, at));
        Interlocked.Increment(ref burst.Frames);
        Interlocked.Add(ref burst.Bytes, payload.Length);
        foreach (var observer in _observers)
        {
            try { observer.FrameRelayed(roomId, epoch, speaker, seq, payload, at); }
            catch (Exception e) { logger.LogWarning(e, "Burst observer {Observer} failed on a frame", observer.GetType().Name); }
        }
    }

    /// <summary>The floor of (room, epoch) ended; if this process relayed frames of it, the burst is complete.</summary>
    public void BurstEnded(string roomId, long epoch, string reason, DateTimeOffset at)
    {
        if (!_current.TryGetValue(roomId, out var burst) || burst.Epoch != epoch || !_current.TryRemove(KeyValuePair.Create(roomId, burst))) return;
        var summary = new BurstSummary(roomId, epoch, burst.Speaker, burst.StartedAt, at, burst.Frames, burst.Bytes, reason);
        _ended.Writer.TryWrite(summary);
        foreach (var observer in _observers)
        {
            try { observer.BurstEnded(summary); }
            catch (Exception e) { logger.LogWarning(e, "Burst observer {Observer} failed at the end of {Room}/{Epoch}", observer.GetType().Name, roomId, epoch); }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var burst in _ended.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await using var session = store.LightweightSession();
                session.Events.Append(BurstStream.Id(burst.RoomId),
                    new BurstStarted(burst.RoomId, burst.Epoch, burst.Speaker, burst.StartedAt),
                    new BurstEnded(burst.RoomId, burst.Epoch, burst.Speaker, burst.EndedAt, burst.Frames, burst.Bytes, burst.DurationMs, burst.EndReason));
                await session.SaveChangesAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not record burst {Room}/{Epoch}", burst.RoomId, burst.Epoch);
            }
        }
    }
}
