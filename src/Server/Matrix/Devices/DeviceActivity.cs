using System.Net;
using Marten.Patching;

namespace WalkieTalkie.Server.Matrix.Devices;

public sealed class DeviceActivityOptions
{
    public const string Section = "DeviceActivity";

    /// <summary>How often last-seen times reach the database (spec: "may be a few minutes out of date").</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Last-seen time and IP of each device. Every authenticated request only records them in memory; a timer writes
/// the latest sighting of each active device once per interval, so a busy device costs one write a minute, not
/// one per request. GET /devices merges the sightings this process has not written yet.
/// </summary>
public sealed class DeviceActivity(IDocumentStore store, TimeProvider clock, IOptions<DeviceActivityOptions> options,
    ILogger<DeviceActivity> logger) : BackgroundService
{
    public sealed record Sighting(DateTimeOffset At, string? Ip);

    readonly ConcurrentDictionary<string, Sighting> _pending = new();

    public void Seen(DeviceRef device, IPAddress? ip) =>
        _pending[UserDevice.Key(device.UserId, device.DeviceId)] =
            new Sighting(clock.GetUtcNow(), (ip is { IsIPv4MappedToIPv6: true } ? ip.MapToIPv4() : ip)?.ToString());

    /// <summary>The device as last seen: the stored values, or a newer sighting not yet written.</summary>
    public UserDevice Current(UserDevice device) =>
        _pending.TryGetValue(device.Id, out var seen) && (device.LastSeenAt is null || seen.At > device.LastSeenAt)
            ? device with { LastSeenAt = seen.At, LastSeenIp = seen.Ip }
            : device;

    public async Task FlushAsync(CancellationToken ct)
    {
        var batch = _pending.ToArray();
        if (batch.Length == 0) return;
        await using var session = store.LightweightSession();
        // A patch, not a load and store: it cannot bring back a device deleted in the meantime.
        foreach (var (key, seen) in batch)
            session.Patch<UserDevice>(key).Set(d => d.LastSeenAt, seen.At).Set(d => d.LastSeenIp, seen.Ip);
        await session.SaveChangesAsync(ct);
        // Only sightings unchanged since the snapshot leave; newer ones wait for the next flush.
        foreach (var entry in batch) _pending.TryRemove(entry);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FlushInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await TryFlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try { await TryFlushAsync(cancellationToken); }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown time ran out: last-seen times are advisory, so they are dropped, not fatal.
            logger.LogWarning("Shutdown ran out of time: {Count} device last-seen time(s) not written", _pending.Count);
        }
    }

    async Task TryFlushAsync(CancellationToken ct)
    {
        try { await FlushAsync(ct); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not write device last-seen times; retrying at the next flush");
        }
    }
}
