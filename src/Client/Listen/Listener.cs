using System.Threading.Channels;
using WalkieTalkie.Client.Live;

namespace WalkieTalkie.Client.Listen;

public sealed record ListenerOptions
{
    /// <summary>A burst with no frame for this long is over (the server's end-of-media is 4 s by default; <c>floor.idle</c> normally comes first).</summary>
    public TimeSpan SilenceTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gaps up to this many frames are concealed; a longer jump restarts counting (1 s).</summary>
    public int MaxGapFrames { get; init; } = 50;
}

/// <summary>A burst began (first frame heard) or ended.</summary>
public abstract record ListenerEvent(ReceivedBurst Burst)
{
    public sealed record BurstStarted(ReceivedBurst Burst) : ListenerEvent(Burst);
    public sealed record BurstEnded(ReceivedBurst Burst) : ListenerEvent(Burst);
}

/// <summary>
/// Turns received frames into bursts, one per (room, epoch). A burst ends when the floor goes idle or to someone else
/// (<see cref="Observe"/>), when a frame of a newer epoch arrives, or after <see cref="ListenerOptions.SilenceTimeout"/>
/// without frames. Frames of an older epoch than the room's newest are dropped, as the server does. Feed it in wire
/// order — <see cref="WalkieStream.AddObserver"/> does — or a <c>floor.idle</c> may be seen before the frames it
/// follows and split a burst. Thread-safe.
/// </summary>
public sealed class Listener(ListenerOptions? options = null, TimeProvider? time = null) : IStreamObserver, IDisposable
{
    private readonly ListenerOptions _options = options ?? new ListenerOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly object _gate = new();
    private readonly Dictionary<string, ReceivedBurst> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _newestEpoch = new(StringComparer.Ordinal);
    private readonly Channel<ListenerEvent> _events = Channel.CreateUnbounded<ListenerEvent>();

    /// <summary>Burst starts and ends, in order.</summary>
    public ChannelReader<ListenerEvent> Events => _events.Reader;

    public IReadOnlyList<ReceivedBurst> ActiveBursts { get { lock (_gate) return [.. _active.Values]; } }

    public FrameDisposition Accept(ReceivedFrame frame)
    {
        lock (_gate)
        {
            long newest = _newestEpoch.GetValueOrDefault(frame.RoomId, -1);
            if (frame.Epoch < newest)
                return FrameDisposition.DroppedStale;
            _newestEpoch[frame.RoomId] = frame.Epoch;

            if (_active.TryGetValue(frame.RoomId, out var burst) && burst.Epoch != frame.Epoch)
            {
                End(burst, "superseded");
                burst = null;
            }
            if (burst is null)
            {
                burst = new ReceivedBurst(frame.RoomId, frame.Epoch, frame.Seq, frame.ReceivedAt, _options.MaxGapFrames);
                _active[frame.RoomId] = burst;
                _events.Writer.TryWrite(new ListenerEvent.BurstStarted(burst));
            }
            return burst.Add(frame.Seq, frame.Payload.Span, frame.ReceivedAt);
        }
    }

    /// <summary>Floor messages end bursts: idle ends the room's burst, a newer grant (to anyone) ends older ones.</summary>
    public void Observe(ServerMessage message)
    {
        lock (_gate)
        {
            switch (message)
            {
                case ServerMessage.FloorIdle idle:
                    if (idle.Epoch is { } e) Advance(idle.RoomId, e);
                    if (_active.TryGetValue(idle.RoomId, out var burst) && (idle.Epoch is null || burst.Epoch <= idle.Epoch))
                        End(burst, idle.Reason.Length > 0 ? idle.Reason : "idle");
                    break;
                case ServerMessage.FloorTaken taken:
                    EndOlder(taken.RoomId, taken.Epoch);
                    break;
                case ServerMessage.FloorGranted granted:
                    EndOlder(granted.RoomId, granted.Epoch);
                    break;
                case ServerMessage.Disconnected:
                    foreach (var b in _active.Values.ToList()) End(b, "disconnected");
                    break;
            }
        }
    }

    /// <summary>Ends bursts that have been silent for the timeout; returns how many.</summary>
    public int EndSilentBursts()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var silent = _active.Values.Where(b => now - b.LastFrameAt >= _options.SilenceTimeout).ToList();
            foreach (var burst in silent) End(burst, "silence");
            return silent.Count;
        }
    }

    public void EndAll(string reason)
    {
        lock (_gate)
            foreach (var burst in _active.Values.ToList()) End(burst, reason);
    }

    void IStreamObserver.OnMessage(ServerMessage message) => Observe(message);

    void IStreamObserver.OnFrame(ReceivedFrame frame) => Accept(frame);

    /// <summary>Ends silent bursts every quarter of the timeout until cancelled (for a listener fed by <see cref="WalkieStream.AddObserver"/>).</summary>
    public async Task RunSilenceCheckAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, _options.SilenceTimeout.Ticks / 4)), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
                EndSilentBursts();
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Feeds <paramref name="frames"/> (e.g. <see cref="WalkieStream.Frames"/>) in and checks for silence until cancelled or the reader completes.</summary>
    public async Task RunAsync(ChannelReader<ReceivedFrame> frames, CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var silenceCheck = Task.Run(() => RunSilenceCheckAsync(stop.Token), CancellationToken.None);
        try
        {
            await foreach (var frame in frames.ReadAllAsync(cancellationToken))
                Accept(frame);
        }
        finally
        {
            stop.Cancel();
            await silenceCheck;
        }
    }

    public void Dispose()
    {
        EndAll("disposed");
        _events.Writer.TryComplete();
    }

    private void EndOlder(string roomId, long epoch)
    {
        Advance(roomId, epoch);
        if (_active.TryGetValue(roomId, out var burst) && burst.Epoch < epoch)
            End(burst, "superseded");
    }

    private void Advance(string roomId, long epoch)
    {
        if (epoch > _newestEpoch.GetValueOrDefault(roomId, -1))
            _newestEpoch[roomId] = epoch;
    }

    private void End(ReceivedBurst burst, string reason)
    {
        _active.Remove(burst.RoomId);
        burst.Complete(reason);
        _events.Writer.TryWrite(new ListenerEvent.BurstEnded(burst));
    }
}
