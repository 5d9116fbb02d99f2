namespace WalkieTalkie.Client.Matrix;

/// <summary>What a login or registration yields: enough to act as that device later.</summary>
public sealed record MatrixCredentials(Uri Homeserver, string UserId, string DeviceId, string AccessToken);

/// <summary>The answer of <c>GET /account/whoami</c>.</summary>
public sealed record WhoAmI(string UserId, string? DeviceId);
