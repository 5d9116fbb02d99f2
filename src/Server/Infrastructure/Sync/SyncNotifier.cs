using Npgsql;

namespace WalkieTalkie.Server.Infrastructure.Sync;

/// <summary>Wakes every waiting long-poll when anything sync-visible changed (in any server process).</summary>
public sealed class SyncNotifier
{
    TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Take this before reading, then wait on it: a change between read and wait is not lost.</summary>
    public Task NextChange => Volatile.Read(ref _next).Task;

    public void Pulse() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

/// <summary>Something that reacts to NOTIFY on one PostgreSQL channel (signals between server processes).</summary>
public interface IPostgresNotificationHandler
{
    string Channel { get; }
    void Handle(string payload);
}

/// <summary>LISTENs on PostgreSQL for commits of other processes (and our own): sync appends, ephemeral and live-stream signals.</summary>
public sealed class PostgresChangeListener(NpgsqlDataSource dataSource, SyncNotifier notifier, EphemeralBoard board,
    IEnumerable<IPostgresNotificationHandler> handlers, ILogger<PostgresChangeListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                var byChannel = handlers.ToDictionary(h => h.Channel);
                connection.Notification += (_, e) =>
                {
                    if (byChannel.TryGetValue(e.Channel, out var handler))
                    {
                        try { handler.Handle(e.Payload); }
                        catch (Exception error) { logger.LogWarning(error, "Bad notification on {Channel}", e.Channel); }
                        return;
                    }
                    if (e.Channel == EphemeralBoard.Channel) board.ApplyRemote(e.Payload);
                    notifier.Pulse();
                };
                var channels = new[] { SyncLog.Channel, EphemeralBoard.Channel }.Concat(byChannel.Keys);
                await using (var listen = new NpgsqlCommand(string.Concat(channels.Select(c => $"LISTEN {c}; ")), connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                // Anything committed while we were not listening must still wake waiters.
                notifier.Pulse();
                while (!stoppingToken.IsCancellationRequested) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogWarning(e, "Change listener lost its connection; reconnecting");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { });
            }
        }
    }
}
