namespace WalkieTalkie.Server.Walkie;

/// <summary>
/// Precise in-process timers for what users feel (max talk, end of media, consent expiry). Wolverine's durable
/// scheduled messages are found by polling and land up to a second late; they stay the restart-proof backstop, and
/// every timer action is idempotent, so whichever fires second does nothing. One timer per key: scheduling a key again
/// replaces the old timer. A timer never fires before its due time by the <see cref="TimeProvider"/>'s wall clock.
/// </summary>
public sealed class TimerScheduler(TimeProvider clock, ILogger<TimerScheduler> logger) : IHostedService, IAsyncDisposable
{
    readonly ConcurrentDictionary<string, Entry> _timers = new();
    readonly ConcurrentDictionary<Task, byte> _running = new();
    readonly CancellationTokenSource _stopping = new();

    sealed class Entry(DateTimeOffset due, Func<CancellationToken, Task> action)
    {
        public readonly DateTimeOffset Due = due;
        public readonly Func<CancellationToken, Task> Action = action;
        public ITimer? Timer;
    }

    public int Pending => _timers.Count;

    public void Schedule(string key, DateTimeOffset due, Func<CancellationToken, Task> action)
    {
        if (_stopping.IsCancellationRequested) return;
        var entry = new Entry(due, action);
        if (_timers.TryRemove(key, out var old)) old.Timer?.Dispose();
        _timers[key] = entry;
        // Created after registration so an immediate callback finds its entry.
        lock (entry) entry.Timer = clock.CreateTimer(_ => Fire(key, entry), null, Delay(due), Timeout.InfiniteTimeSpan);
    }

    public void Cancel(string key)
    {
        if (_timers.TryRemove(key, out var entry)) entry.Timer?.Dispose();
    }

    void Fire(string key, Entry entry)
    {
        var remaining = entry.Due - clock.GetUtcNow();
        if (remaining > TimeSpan.Zero)
        {
            // Monotonic timers can beat the wall clock by a millisecond; the deciders compare wall-clock times.
            lock (entry) entry.Timer?.Change(remaining, Timeout.InfiniteTimeSpan);
            return;
        }
        if (!_timers.TryRemove(new KeyValuePair<string, Entry>(key, entry))) return; // replaced or cancelled meanwhile
        lock (entry) entry.Timer?.Dispose();
        if (_stopping.IsCancellationRequested) return;

        var run = Task.Run(async () =>
        {
            try { await entry.Action(_stopping.Token); }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { }
            catch (Exception e) { logger.LogError(e, "Timer {Key} failed; its durable backstop will retry", key); }
        });
        _running[run] = 0;
        run.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    TimeSpan Delay(DateTimeOffset due)
    {
        var delay = due - clock.GetUtcNow();
        return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A stopping process fires nothing more; actions in flight get a cancelled token and a moment to end.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        foreach (var key in _timers.Keys) Cancel(key);
        await Task.WhenAny(Task.WhenAll(_running.Keys), Task.Delay(TimeSpan.FromSeconds(5), cancellationToken)).ContinueWith(_ => { });
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        foreach (var key in _timers.Keys) Cancel(key);
        return ValueTask.CompletedTask;
    }
}
