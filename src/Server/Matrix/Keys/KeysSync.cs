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

    public async Task<bool> ContributeAsync(IQuerySession session, SyncContext context, SyncResponse response, CancellationToken ct)
    {
        var (counts, fallbackTypes) = await KeyCounts.ForDeviceAsync(session, context.Request.Device, ct);
        response.DeviceOneTimeKeysCount = counts;
        response.DeviceUnusedFallbackKeyTypes = fallbackTypes;

        if (context.Request.Since is null) return false;
        var (changed, left) = await DeviceLists.ForUserAsync(session, context.Request.Device.UserId, context.Since, context.Upto, ct);
        response.DeviceLists = new DeviceListChanges(changed, left);
        return changed.Count > 0 || left.Count > 0;
    }
}
