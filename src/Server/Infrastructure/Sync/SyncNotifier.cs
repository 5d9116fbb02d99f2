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

/// <summary>LISTENs on PostgreSQL for commits of other processes (and our own): sync appends and ephemeral changes.</summary>
public sealed class PostgresChangeListener(NpgsqlDataSource dataSource, SyncNotifier notifier, EphemeralBoard board,
    ILogger<PostgresChangeListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == EphemeralBoard.Channel) board.ApplyRemote(e.Payload);
                    notifier.Pulse();
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {SyncLog.Channel}; LISTEN {EphemeralBoard.Channel}", connection))
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
