using Npgsql;

namespace WalkieTalkie.Server.Walkie.Stream.Bus;

/// <summary>
/// Whether another server process runs on this database, so that relayed audio has anyone to go to. Every process
/// holds one connection named <c>walkie-stream/{instance}</c> and counts the others' in <c>pg_stat_activity</c>: no
/// message is sent for it, and a process killed by SIGKILL drops out as soon as PostgreSQL sees its socket close. A
/// starting process says hello (one NOTIFY) so the others count again at once instead of at their next poll.
/// Per process, not per room: whichever process's timer checks a grant's end of media must have seen its frames, and
/// that can be any of them (the durable timer runs wherever Wolverine picks it up), listeners or not.
/// </summary>
public sealed class PeerPresence(NpgsqlDataSource dataSource, ILogger<PeerPresence> logger) : BackgroundService
{
    public const string NamePrefix = "walkie-stream/";
    static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    readonly SemaphoreSlim _pollNow = new(0, 1);
    NpgsqlConnection? _connection;
    volatile int _peers;

    /// <summary>This process's name on the database and in the hello signal.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>Other server processes on this database, as last counted (kept while the count cannot be taken).</summary>
    public int Peers => _peers;
    public bool HasPeers => _peers > 0;

    /// <summary>Called when another process says hello: count again now.</summary>
    public void CountSoon()
    {
        if (_pollNow.CurrentCount == 0) try { _pollNow.Release(); } catch (SemaphoreFullException) { }
    }

    /// <summary>Registers this process and takes the first count before the host starts serving.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ConnectAsync(cancellationToken);
            await CountAsync(cancellationToken);
            await using var hello = dataSource.CreateCommand("select pg_notify(@c, @p)");
            hello.Parameters.AddWithValue("c", StreamSignals.FloorChannel);
            hello.Parameters.AddWithValue("p", new JsonObject { ["kind"] = "hello", ["instance"] = Instance }.ToJsonString());
            await hello.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logger.LogWarning(e, "Could not register this process for the live stream yet; retrying in the background");
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await _pollNow.WaitAsync(PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            if (stoppingToken.IsCancellationRequested) break;
            try
            {
                if (_connection is not { State: System.Data.ConnectionState.Open }) await ConnectAsync(stoppingToken);
                await CountAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogDebug(e, "Could not count the other server processes");
                if (_connection is { } broken) await broken.DisposeAsync();
                _connection = null;
            }
        }
    }

    async Task ConnectAsync(CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        await using (var name = new NpgsqlCommand($"set application_name = '{NamePrefix}{Instance}'", connection))
            await name.ExecuteNonQueryAsync(ct);
        _connection = connection;
    }

    async Task CountAsync(CancellationToken ct)
    {
        await using var count = new NpgsqlCommand(
            "select count(*) from pg_stat_activity where datname = current_database() and application_name like @prefix and pid <> pg_backend_pid()",
            _connection);
        count.Parameters.AddWithValue("prefix", NamePrefix + "%");
        var peers = (int)(long)(await count.ExecuteScalarAsync(ct))!;
        if (peers != _peers) logger.LogInformation("Live stream: {Peers} other server process(es) on this database", peers);
        _peers = peers;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_connection is not { } connection) return;
        try
        {
            // The pooled connection must not go on counting as a process after this one stopped.
            await using var reset = new NpgsqlCommand("reset application_name", connection);
            await reset.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or OperationCanceledException) { }
        await connection.DisposeAsync();
    }
}
