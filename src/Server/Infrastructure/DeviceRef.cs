namespace WalkieTalkie.Server.Infrastructure;

/// <summary>One device of one user: what an access token resolves to, and the unit of consent, floor holding and queueing.</summary>
public sealed record DeviceRef(
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("device_id")] string DeviceId)
{
    /// <summary>
    /// State key of the device's <c>org.matrix.msc4002.member</c> event: <c>_@user:server_DEVICEID</c> (the leading underscore,
    /// as MatrixRTC, passes the room v10/v11 auth rule that a key starting with <c>@</c> is exactly its sender).
    /// </summary>
    [JsonIgnore] public string StateKey => $"_{UserId}_{DeviceId}";

    public override string ToString() => $"{UserId}/{DeviceId}";
}
