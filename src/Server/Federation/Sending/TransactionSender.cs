using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace WalkieTalkie.Server.Federation.Sending;

/// <summary>
/// Drains each destination's queue, one transaction in flight per destination (a PostgreSQL advisory lock makes that
/// hold across the processes of this homeserver). Failures back off exponentially; what was not acknowledged stays
/// stored and is sent after a restart by the periodic sweep.
/// </summary>
public sealed class TransactionSender(IDocumentStore store, NpgsqlDataSource database, FederationClient client,
    IOptions<FederationOptions> options, TimeProvider clock, ILogger<TransactionSender> logger) : BackgroundService
{
    static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(5);
    readonly Dictionary<string, Drain> _drains = new(StringComparer.OrdinalIgnoreCase);
    CancellationToken _stopping = CancellationToken.None;

    sealed class Drain
    {
        public Task Running = Task.CompletedTask;
        public bool Again;
    }

    public void Wake(string destination)
    {
        lock (_drains)
        {
            if (!_drains.TryGetValue(destination, out var drain)) _drains[destination] = drain = new Drain();
            if (!drain.Running.IsCompleted)
            {
                drain.Again = true;
                return;
            }
            drain.Running = Task.Run(() => RunAsync(destination, drain));
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        return PeriodicWork.RunAsync(SweepAsync, SweepInterval, clock, logger, "Federation queue sweep failed: {Message}", stoppingToken);
    }

    /// <summary>Wakes every destination with something stored, so what was queued before a restart is sent.</summary>
    async Task SweepAsync(CancellationToken ct)
    {
        await using var session = store.QuerySession();
        foreach (var destination in await session.Query<OutgoingItem>().Select(i => i.Destination).Distinct().ToListAsync(ct))
            Wake(destination);
    }

    async Task RunAsync(string destination, Drain drain)
    {
        while (true)
        {
            try
            {
                await DrainAsync(destination, _stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Sending to {Destination} stopped: {Message}", destination, e.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lock (_drains)
            {
                if (!drain.Again || _stopping.IsCancellationRequested) return;
                drain.Again = false;
            }
        }
    }

    async Task DrainAsync(string destination, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var lockKey = LockKey(destination);
        if (!await AdvisoryAsync(connection, "select pg_try_advisory_lock($1)", lockKey, ct)) return;
        try
        {
            var failures = 0;
            while (!ct.IsCancellationRequested)
            {
                var batch = await NextBatchAsync(destination, ct);
                if (batch.Count == 0) return;
                var txnId = batch[0].TxnId!;
                var body = TransactionBatch.Body(client.ServerName, clock.GetUtcNow().ToUnixTimeMilliseconds(), batch);
                try
                {
                    await client.PutJsonAsync(destination, $"/_matrix/federation/v1/send/{Uri.EscapeDataString(txnId)}", body, ct);
                    await DeleteAsync(destination, txnId, ct);
                    failures = 0;
                }
                catch (FederationException e) when (e.Status is 400 or 404 or 405 or 413)
                {
                    // The destination understood and refused this transaction: sending it again cannot help.
                    logger.LogError("{Destination} refused transaction {TxnId} ({Status} {ErrCode}); dropped", destination, txnId, e.Status, e.Error?.ErrCode);
                    await DeleteAsync(destination, txnId, ct);
                }
                catch (FederationException e)
                {
                    failures++;
                    var delay = TransactionBatch.Backoff(failures, options.Value.RetryInitialDelay, options.Value.RetryMaxDelay);
                    logger.LogInformation("Transaction {TxnId} to {Destination} failed ({Message}); retry in {Delay}", txnId, destination, e.Message, delay);
                    await Task.Delay(delay, clock, ct);
                }
            }
        }
        finally
        {
            await AdvisoryAsync(connection, "select pg_advisory_unlock($1)", lockKey, CancellationToken.None);
        }
    }

    /// <summary>The transaction already formed and not acknowledged, else a new one of the oldest items that fit.</summary>
    async Task<IReadOnlyList<OutgoingItem>> NextBatchAsync(string destination, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var pending = await session.Query<OutgoingItem>().Where(i => i.Destination == destination && i.TxnId != null)
            .OrderBy(i => i.EnqueuedAt).ThenBy(i => i.Id).ToListAsync(ct);
        if (pending.Count > 0) return pending.Where(i => i.TxnId == pending[0].TxnId).ToList();
        var waiting = await session.Query<OutgoingItem>().Where(i => i.Destination == destination && i.TxnId == null)
            .OrderBy(i => i.EnqueuedAt).ThenBy(i => i.Id).Take(TransactionBatch.MaxPdus + TransactionBatch.MaxEdus).ToListAsync(ct);
        var batch = TransactionBatch.Take(waiting);
        if (batch.Count == 0) return batch;
        var txnId = $"{clock.GetUtcNow().ToUnixTimeMilliseconds()}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        foreach (var item in batch)
        {
            item.TxnId = txnId;
            session.Store(item);
        }
        await session.SaveChangesAsync(ct);
        return batch;
    }

    async Task DeleteAsync(string destination, string txnId, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        session.DeleteWhere<OutgoingItem>(i => i.Destination == destination && i.TxnId == txnId);
        await session.SaveChangesAsync(ct);
    }

    static long LockKey(string destination) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("walkie-federation:" + destination.ToLowerInvariant())), 0);

    static async Task<bool> AdvisoryAsync(NpgsqlConnection connection, string sql, long key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        return await command.ExecuteScalarAsync(ct) is true;
    }
}
