namespace WalkieTalkie.Server.Matrix.Account;

/// <summary>Creating a device and its access token: shared by register and login.</summary>
public static class Sessions
{
    public sealed record Created(string UserId, string AccessToken, string DeviceId);

    public static async Task<Created> StartAsync(IDocumentSession session, string userId, string? deviceId, string? displayName,
        DateTimeOffset now, CancellationToken ct)
    {
        deviceId = string.IsNullOrWhiteSpace(deviceId) ? AccessTokens.NewDeviceId() : deviceId;
        var key = UserDevice.Key(userId, deviceId);
        var existing = await session.LoadAsync<UserDevice>(key, ct);
        // Logging in again with a known device id replaces that device's token (spec: login, device_id).
        if (existing is not null)
            session.DeleteWhere<AccessToken>(t => t.UserId == userId && t.DeviceId == deviceId);
        session.Store(existing is null
            ? new UserDevice(key, userId, deviceId, now) { DisplayName = displayName }
            : existing with { DisplayName = displayName ?? existing.DisplayName });

        var token = AccessTokens.Generate();
        session.Store(new AccessToken(AccessTokens.Hash(token), userId, deviceId, now));
        return new Created(userId, token, deviceId);
    }
}
