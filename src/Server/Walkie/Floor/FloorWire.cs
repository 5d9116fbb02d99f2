using WalkieTalkie.Protocol;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// The JSON of the floor between homeservers: commands a server forwards to the floor host, the host's answers, and the
/// decisions (events and the floor after them) in the <c>org.matrix.msc4002.floor</c> EDU.
/// </summary>
public static class FloorWire
{
    public const string FederationPrefix = "/_matrix/federation/unstable/org.matrix.msc4002";
    public const string EduType = "org.matrix.msc4002.floor";

    static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    static readonly Dictionary<string, Type> EventTypes = new[]
    {
        typeof(FloorRequested), typeof(FloorGranted), typeof(FloorDenied), typeof(FloorQueued), typeof(FloorLeftQueue),
        typeof(FloorReleased), typeof(FloorRevoked), typeof(FloorIdle),
    }.ToDictionary(t => t.Name);

    static readonly Dictionary<string, RevokeReason> DepartReasons = new[]
    {
        RevokeReason.Disconnected, RevokeReason.ConsentExpired, RevokeReason.ConsentRevoked, RevokeReason.LeftRoom,
    }.ToDictionary(r => r.ToWire());

    /// <summary>The operation (last path segment) and body of a forwarded command; null for commands only the host makes (timers, leaves).</summary>
    public static (string Op, JsonObject Body)? Command(FloorCommand command) => command switch
    {
        FloorCommand.Request r => ("request", Device(r.Device, new() { ["priority"] = r.Priority.ToWire() })),
        FloorCommand.Release r => ("release", Device(r.Device, new() { ["epoch"] = r.Epoch })),
        FloorCommand.Revoke r => ("revoke", Device(r.Moderator, new() { ["target_user_id"] = r.UserId, ["target_device_id"] = r.DeviceId })),
        FloorCommand.Depart d => ("depart", Device(d.Device, new() { ["reason"] = d.Reason.ToWire() })),
        _ => null,
    };

    /// <summary>A forwarded command as the floor host reads it; the device must be a user of <paramref name="origin"/>.</summary>
    public static FloorCommand ParseCommand(string op, string roomId, string origin, JsonObject body)
    {
        var device = new DeviceRef(String(body, "user_id"), String(body, "device_id"));
        if (FloorHost.ServerOf(device.UserId) is not { } server || !FloorHost.IsLocal(server, origin))
            throw new MatrixException(MatrixError.Forbidden($"{origin} may forward floor commands of its own users only"));
        FloorCommand command = op switch
        {
            "request" => new FloorCommand.Request(roomId, device, FloorPriorities.Parse(body)),
            "release" => new FloorCommand.Release(roomId, device, ReleaseFloorEndpoint.ParseEpoch(body)),
            "revoke" => new FloorCommand.Revoke(roomId, device, String(body, "target_user_id"),
                body["target_device_id"] is JsonValue v && v.TryGetValue<string>(out var d) ? d : null),
            "depart" => new FloorCommand.Depart(roomId, device, DepartReasons.GetValueOrDefault(String(body, "reason"), RevokeReason.Disconnected)),
            _ => throw new MatrixException(MatrixError.Unrecognized($"No floor operation {op}")),
        };
        return command with { ForwardedBy = origin };
    }

    /// <summary>The host's 200 answer (a denial is the 409 <c>FLOOR_TAKEN</c> error instead).</summary>
    public static JsonObject Outcome(FloorOutcome outcome) => outcome switch
    {
        FloorOutcome.Granted g => new()
        {
            ["result"] = "granted", ["epoch"] = g.Epoch, ["expires_ts"] = g.ExpiresAt.ToUnixTimeMilliseconds(), ["emergency"] = g.Emergency,
        },
        FloorOutcome.Queued q => new() { ["result"] = "queued", ["position"] = q.Position },
        FloorOutcome.Moderated m => new()
        {
            ["result"] = "moderated", ["revoked"] = m.Revoked is null ? null : Node(m.Revoked),
            ["dequeued"] = new JsonArray(m.Dequeued.Select(Node).ToArray()),
        },
        _ => new() { ["result"] = "none" },
    };

    public static FloorOutcome ParseOutcome(JsonNode answer) => answer["result"]?.GetValue<string>() switch
    {
        "granted" => new FloorOutcome.Granted(answer["epoch"]!.GetValue<long>(),
            DateTimeOffset.FromUnixTimeMilliseconds(answer["expires_ts"]!.GetValue<long>()), answer["emergency"]?.GetValue<bool>() ?? false),
        "queued" => new FloorOutcome.Queued(answer["position"]!.GetValue<int>()),
        "moderated" => new FloorOutcome.Moderated(answer["revoked"]?.Deserialize<DeviceRef>(Options),
            answer["dequeued"]?.Deserialize<List<DeviceRef>>(Options) ?? []),
        _ => new FloorOutcome.None(),
    };

    /// <summary>The EDU content: the host's stream version, the floor after the decision and the events that made it.</summary>
    public static JsonObject Edu(string roomId, FloorState after, IEnumerable<FloorEvent> events, long version) => new()
    {
        ["room_id"] = roomId,
        ["version"] = version,
        ["floor"] = JsonSerializer.SerializeToNode(FloorSnapshot.From(roomId, after, version), Options),
        ["events"] = new JsonArray(events.Select(e => (JsonNode)new JsonObject
        {
            ["type"] = e.GetType().Name, ["content"] = JsonSerializer.SerializeToNode(e, e.GetType(), Options),
        }).ToArray()),
    };

    public static (string RoomId, long Version, FloorState Floor, List<FloorEvent> Events) ParseEdu(JsonObject content)
    {
        var roomId = String(content, "room_id");
        var version = content["version"]!.GetValue<long>();
        var floor = content["floor"].Deserialize<FloorSnapshot>(Options)!.ToFloor();
        var events = content["events"]!.AsArray().Select(e =>
            EventTypes.TryGetValue(e!["type"]!.GetValue<string>(), out var type)
                ? (FloorEvent)e["content"].Deserialize(type, Options)!
                : throw new JsonException($"Unknown floor event {e["type"]}")).ToList();
        if (events.Any(e => e.RoomId != roomId)) throw new JsonException("A floor EDU's events are of its room only");
        return (roomId, version, floor, events);
    }

    static JsonObject Device(DeviceRef device, JsonObject rest)
    {
        rest["user_id"] = device.UserId;
        rest["device_id"] = device.DeviceId;
        return rest;
    }

    static JsonNode Node(DeviceRef device) => JsonSerializer.SerializeToNode(device, Options)!;

    static string String(JsonObject body, string key) =>
        body[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0
            ? s
            : throw new MatrixException(MatrixError.BadJson($"`{key}` must be a non-empty string"));
}
