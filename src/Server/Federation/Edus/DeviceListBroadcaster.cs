using WalkieTalkie.Server.Federation.Sending;
using WalkieTalkie.Server.Matrix.Keys;

namespace WalkieTalkie.Server.Federation.Edus;

/// <summary>How far the device-list changes of local users were announced to other servers (global event sequence).</summary>
public sealed record DeviceListCursor(string Id, long Sequence)
{
    public const string Outgoing = "outgoing";
}

/// <summary>
/// Follows the `devicelist:` streams and tells the servers sharing a room with a local user of each change:
/// `m.device_list_update` for a device, `m.signing_key_update` for cross-signing keys. The cursor is stored, so
/// a restart neither loses nor repeats announcements (appends under SyncLog's lock commit in sequence order).
/// </summary>
public sealed class DeviceListBroadcaster(IDocumentStore store, FederationSender sender, IRoomServers rooms, IOptions<MatrixOptions> matrix,
    TimeProvider clock, ILogger<DeviceListBroadcaster> logger) : BackgroundService
{
    static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(AnnounceAsync, PollInterval, clock, logger, "Device list announcements failed: {Message}", stoppingToken);

    async Task AnnounceAsync(CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var cursor = await session.LoadAsync<DeviceListCursor>(DeviceListCursor.Outgoing, ct);
        if (cursor is null)
        {
            // First start: what changed before federation existed is nobody's news.
            var last = await session.Events.QueryAllRawEvents().OrderByDescending(e => e.Sequence).Select(e => e.Sequence).FirstOrDefaultAsync(ct);
            session.Store(new DeviceListCursor(DeviceListCursor.Outgoing, last));
            await session.SaveChangesAsync(ct);
            return;
        }
        var changes = await session.Events.QueryAllRawEvents()
            .Where(e => e.Sequence > cursor.Sequence && e.StreamKey!.StartsWith("devicelist:"))
            .OrderBy(e => e.Sequence).Take(100).ToListAsync(ct);
        if (changes.Count == 0) return;
        var woken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in changes)
        {
            if (e.Data is not DeviceListChanged change || !MatrixIds.IsLocal(change.UserId, matrix.Value.ServerName)) continue;
            var servers = await rooms.SharingARoomWithAsync(change.UserId, ct);
            if (servers.Count == 0) continue;
            var (type, content) = change.DeviceId is { } deviceId
                ? (DeviceKeysChangedEdu.DeviceListUpdate, new JsonObject
                {
                    ["user_id"] = change.UserId, ["device_id"] = deviceId, ["stream_id"] = e.Sequence, ["prev_id"] = new JsonArray(),
                })
                : (DeviceKeysChangedEdu.SigningKeyUpdate, await SigningKeysAsync(session, change.UserId, ct));
            foreach (var server in servers) sender.EnqueueEdu(session, server, type, content);
            woken.UnionWith(servers);
        }
        session.Store(cursor with { Sequence = changes[^1].Sequence });
        await session.SaveChangesAsync(ct);
        foreach (var server in woken) sender.Wake(server);
    }

    static async Task<JsonObject> SigningKeysAsync(IQuerySession session, string userId, CancellationToken ct)
    {
        var keys = await QueryKeys.LocalAsync(session, new Dictionary<string, string[]> { [userId] = [] }, null, ct);
        var content = new JsonObject { ["user_id"] = userId };
        if (keys.MasterKeys.TryGetValue(userId, out var master)) content["master_key"] = JsonNode.Parse(master.Json);
        if (keys.SelfSigningKeys.TryGetValue(userId, out var selfSigning)) content["self_signing_key"] = JsonNode.Parse(selfSigning.Json);
        return content;
    }
}
