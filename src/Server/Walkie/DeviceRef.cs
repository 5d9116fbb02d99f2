namespace WalkieTalkie.Server.Walkie;

/// <summary>One device of one user: the unit of consent, of the floor and of live audio.</summary>
public sealed record DeviceRef(string UserId, string DeviceId)
{
    /// <summary>The state key of the device's `org.matrix.msc4002.member` state event.</summary>
    public string StateKey => $"{UserId}_{DeviceId}";

    public override string ToString() => $"{UserId}/{DeviceId}";
}
