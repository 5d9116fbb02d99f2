using WalkieTalkie.Server.Matrix.Sync;

namespace WalkieTalkie.Server.Matrix.ToDevice;

/// <summary>
/// `to_device` in /sync: this device's messages after the token. A message is acknowledged (never sent again) once
/// the client syncs with a later token, because delivery is by sequence.
/// </summary>
public sealed class ToDeviceSync : ISyncContributor
{
    public Task AddStreamsAsync(IQuerySession session, SyncRequest request, SyncStreamSet streams, CancellationToken ct)
    {
        streams.Add(SyncStreams.ToDevice(request.Device.UserId, request.Device.DeviceId));
        return Task.CompletedTask;
    }

    public Task<bool> ContributeAsync(IQuerySession session, SyncContext context, SyncResponse response, CancellationToken ct)
    {
        var stream = SyncStreams.ToDevice(context.Request.Device.UserId, context.Request.Device.DeviceId);
        var events = context.Events.Where(e => e.StreamKey == stream).Select(e => (ToDeviceMessage)e.Data)
            .Select(m => new JsonObject
            {
                ["sender"] = m.Sender, ["type"] = m.Type, ["content"] = JsonNode.Parse(m.ContentJson),
            }).ToList();
        response.ToDevice = new EventList(events);
        return Task.FromResult(events.Count > 0);
    }
}
