namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>A removed device's keys go with it, and users sharing a room learn that its device list changed.</summary>
public static class RemoveDeviceKeysHandler
{
    public static async Task Handle(DeviceRemoved removed, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var (userId, deviceId) = (removed.Device.UserId, removed.Device.DeviceId);
        await SyncLog.BeginAsync(session, ct);
        var keys = await session.LoadAsync<UploadedDeviceKeys>(UploadedDeviceKeys.Key(userId, deviceId), ct);
        session.Delete<UploadedDeviceKeys>(UploadedDeviceKeys.Key(userId, deviceId));
        session.DeleteWhere<OneTimeKey>(k => k.UserId == userId && k.DeviceId == deviceId);
        session.DeleteWhere<FallbackKey>(k => k.UserId == userId && k.DeviceId == deviceId);
        session.DeleteWhere<KeySignature>(s => s.TargetUserId == userId && s.TargetKeyId == deviceId);
        // Only devices with identity keys are in anyone's device list (spec: /keys/changes).
        if (keys is not null) DeviceLists.Changed(session, userId, deviceId, clock.GetUtcNow());
    }
}
