using JasperFx.Events;

namespace WalkieTalkie.Server.Matrix.ToDevice;

/// <summary>An entry of /sync `to_device.events`: {sender, type, content} with the content as the sender wrote it.</summary>
public sealed record ToDeviceEvent(string Sender, string Type, RawJson Content);

/// <summary>What /sync delivers to a device: its ToDeviceMessage events after a sync position.</summary>
public static class ToDeviceInbox
{
    /// <summary>
    /// Messages with sequence in (since, upto], oldest first, at most <paramref name="limit"/>. When the limit cuts,
    /// the last returned Sequence is where the next sync must resume, so nothing is skipped.
    /// </summary>
    public static async Task<IReadOnlyList<(long Sequence, ToDeviceEvent Event)>> ReadAsync(IQuerySession session, DeviceRef device,
        long since, long upto, int limit, CancellationToken ct)
    {
        var stream = SyncStreams.ToDevice(device.UserId, device.DeviceId);
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamKey == stream && e.Sequence > since && e.Sequence <= upto)
            .OrderBy(e => e.Sequence)
            .Take(limit)
            .ToListAsync(ct);
        return events
            .Where(e => e.Data is ToDeviceMessage)
            .Select(e => (e.Sequence, ToEvent((ToDeviceMessage)e.Data)))
            .ToList();
    }

    static ToDeviceEvent ToEvent(ToDeviceMessage m) => new(m.Sender, m.Type, new RawJson(m.ContentJson));
}
