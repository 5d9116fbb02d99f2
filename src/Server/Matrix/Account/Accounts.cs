namespace WalkieTalkie.Server.Matrix.Account;

/// <summary>A local user (Marten document, id = user id).</summary>
public sealed record UserAccount(string Id, string PasswordHash, DateTimeOffset CreatedAt)
{
    public string? DisplayName { get; init; }
    public string? AvatarUrl { get; init; }
}

/// <summary>A device of a user (Marten document, id = "user id|device id").</summary>
public sealed record UserDevice(string Id, string UserId, string DeviceId, DateTimeOffset CreatedAt)
{
    public string? DisplayName { get; init; }
    public DateTimeOffset? LastSeenAt { get; init; }
    public string? LastSeenIp { get; init; }

    public static string Key(string userId, string deviceId) => $"{userId}|{deviceId}";
}
