namespace WalkieTalkie.Server.Walkie.Consent;

/// <summary>
/// The consent of one (room, device) after its stream's latest event (Marten document, id = stream id), written in the
/// same transaction as the events, so <see cref="Version"/> is the stream version a writer expects.
/// Floor decisions read it to know who is eligible without replaying consent streams.
/// </summary>
public sealed class ConsentSnapshot
{
    public string Id { get; set; } = "";
    public string RoomId { get; set; } = "";
    public string UserId { get; set; } = "";
    public string DeviceId { get; set; } = "";
    public long Version { get; set; }
    public bool Active { get; set; }
    public DateTimeOffset? GrantedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }

    [JsonIgnore] public DeviceRef Device => new(UserId, DeviceId);

    public Consent ToConsent() => Active ? new Consent.Active(GrantedAt!.Value, ExpiresAt) : Consent.Initial;

    public static ConsentSnapshot From(string roomId, DeviceRef device, Consent consent, long version)
    {
        var active = consent as Consent.Active;
        return new()
        {
            Id = ConsentStream.Id(roomId, device), RoomId = roomId, UserId = device.UserId, DeviceId = device.DeviceId,
            Version = version, Active = active is not null, GrantedAt = active?.GrantedAt, ExpiresAt = active?.ExpiresAt,
        };
    }

    public static bool IsLive(ConsentSnapshot? snapshot, DateTimeOffset now) =>
        snapshot is not null && ConsentDecider.IsLive(snapshot.ToConsent(), now);
}
