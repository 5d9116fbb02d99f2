using WalkieTalkie.Server.Matrix.Sync;

namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>E2EE in /sync: `device_lists`, `device_one_time_keys_count`, `device_unused_fallback_key_types`.</summary>
public sealed class KeysSync : ISyncContributor
{
    public async Task AddStreamsAsync(IQuerySession session, SyncRequest request, SyncStreamSet streams, CancellationToken ct)
    {
        // Device-list changes of anyone sharing a room must wake the long poll.
        foreach (var user in await DeviceLists.UsersSharingARoomWithAsync(session, request.Device.UserId, ct))
            streams.Add(SyncStreams.DeviceList(user));
    }

    public async Task<bool> ContributeAsync(IQuerySession session, SyncContext context, JsonObject response, CancellationToken ct)
    {
        var (counts, fallbackTypes) = await KeyCounts.ForDeviceAsync(session, context.Request.Device, ct);
        var otk = new JsonObject();
        foreach (var (algorithm, count) in counts) otk[algorithm] = count;
        response["device_one_time_keys_count"] = otk;
        response["device_unused_fallback_key_types"] = new JsonArray(fallbackTypes.Select(t => (JsonNode)t).ToArray());

        if (context.Request.Since is null) return false;
        var (changed, left) = await DeviceLists.ForUserAsync(session, context.Request.Device.UserId, context.Since, context.Upto, ct);
        response["device_lists"] = new JsonObject
        {
            ["changed"] = new JsonArray(changed.Select(u => (JsonNode)u).ToArray()),
            ["left"] = new JsonArray(left.Select(u => (JsonNode)u).ToArray()),
        };
        return changed.Count > 0 || left.Count > 0;
    }
}
