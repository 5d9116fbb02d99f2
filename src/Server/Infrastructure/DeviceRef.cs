using System.Text.Json.Serialization;

namespace WalkieTalkie.Server.Infrastructure;

/// <summary>One device of one user: what an access token resolves to, and the unit of consent, floor holding and queueing.</summary>
public sealed record DeviceRef(
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("device_id")] string DeviceId)
{
    /// <summary>State key of the device's <c>org.matrix.msc4002.member</c> event: <c>@user:server_DEVICEID</c>.</summary>
    [JsonIgnore] public string StateKey => $"{UserId}_{DeviceId}";

    public override string ToString() => $"{UserId}/{DeviceId}";
}
