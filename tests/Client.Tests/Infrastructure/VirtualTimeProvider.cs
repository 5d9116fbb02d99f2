namespace WalkieTalkie.Client.Tests.Infrastructure;

/// <summary>
/// A fake clock that runs in virtual time: a timer created for d from now moves the clock forward to its due time and
/// fires at once (on the thread pool). With one actor waiting at a time (the Talker) this is a discrete-event
/// simulation: every wait lasts exactly what the code asked for, and whatever the test adds with <see cref="Advance"/>
/// (slow sends, stalls) is on top, so drift shows up exactly.
/// </summary>
public sealed class VirtualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly object _gate = new();
    private long _ticks;

    public VirtualTimeProvider() : this(new DateTimeOffset(2025, 11, 26, 12, 0, 0, TimeSpan.Zero)) { }

    public DateTimeOffset Start { get; } = start;

    public TimeSpan Elapsed { get { lock (_gate) return TimeSpan.FromTicks(_ticks); } }

    public int TimersCreated { get; private set; }

    public override DateTimeOffset GetUtcNow() => Start + Elapsed;

    public override long GetTimestamp() { lock (_gate) return _ticks; }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Time that passes while the code under test works (an encode, a slow socket).</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        lock (_gate) _ticks += by.Ticks;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero)
            throw new NotSupportedException("The virtual clock runs one-shot timers only.");
        var timer = new OneShot(callback, state);
        if (dueTime == Timeout.InfiniteTimeSpan)
            return timer;
        lock (_gate)
        {
            TimersCreated++;
            _ticks += Math.Max(0, dueTime.Ticks);
        }
        ThreadPool.QueueUserWorkItem(_ => timer.Fire());
        return timer;
    }

    private sealed class OneShot(TimerCallback callback, object? state) : ITimer
    {
        private int _done;

        public void Fire()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => throw new NotSupportedException("Not used by Task.Delay.");

        public void Dispose() => Interlocked.Exchange(ref _done, 1);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
