namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>The body of <c>GET .../floor</c> and the content of the <c>org.matrix.msc4002.floor</c> ephemeral event.</summary>
public sealed record FloorView(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("holder"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DeviceRef? Holder,
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("granted_ts"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? GrantedTs,
    [property: JsonPropertyName("expires_ts"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ExpiresTs,
    [property: JsonPropertyName("queue")] IReadOnlyList<DeviceRef> Queue)
{
    /// <summary>Present (true) only while an emergency grant holds the floor.</summary>
    [JsonPropertyName("emergency"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Emergency { get; init; }

    /// <summary>The server that decides this room's floor (<c>floor_host</c>), present where that is another server.</summary>
    [JsonPropertyName("floor_host"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FloorHost { get; init; }

    /// <summary>Present (false) while this server cannot reach the floor host: nobody here can be granted the floor.</summary>
    [JsonPropertyName("floor_host_reachable"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? FloorHostReachable { get; init; }

    public static FloorView From(FloorState floor) => floor switch
    {
        FloorState.Taken t => new("taken", t.Holder, t.Epoch, t.GrantedAt.ToUnixTimeMilliseconds(), t.ExpiresAt.ToUnixTimeMilliseconds(),
            t.Waiting.ToList()) { Emergency = t.Emergency },
        _ => new("idle", null, floor.Epoch, null, null, []),
    };
}
