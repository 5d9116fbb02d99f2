namespace WalkieTalkie.Client.Walkie;

public enum FloorState { Idle, Taken }

/// <summary>The answer of <c>PUT .../consent</c>: the consenting device and when its consent ends (null = permanent).</summary>
public sealed record ConsentGrant(string DeviceId, long? ExpiresTs)
{
    internal static ConsentGrant FromJson(JsonObject body) =>
        new(body.RequireString("device_id", "consent"), body.Long("expires_ts"));
}

/// <summary>What <c>POST .../floor/request</c> answered.</summary>
public abstract record FloorRequestResult
{
    /// <summary>200 <c>{"result": "granted", "epoch", "expires_ts"}</c>: talk now, stamping frames with <see cref="Epoch"/>.</summary>
    public sealed record Granted(long Epoch, long ExpiresTs) : FloorRequestResult;

    /// <summary>200 <c>{"result": "queued", "position"}</c>: <c>floor.granted</c> arrives over the stream at hand-over.</summary>
    public sealed record Queued(int Position) : FloorRequestResult;

    /// <summary>409 <c>ORG.MATRIX.MSC4002_FLOOR_TAKEN</c> with the holder (rooms that do not queue).</summary>
    public sealed record Taken(DeviceRef Holder, string? Error) : FloorRequestResult;

    internal static FloorRequestResult FromJson(JsonObject body) => body.String("result") switch
    {
        "granted" => new Granted(body.RequireLong("epoch", "floor granted"), body.RequireLong("expires_ts", "floor granted")),
        "queued" => new Queued((int)body.RequireLong("position", "floor queued")),
        var other => throw new InvalidDataException($"floor/request answered an unknown result \"{other}\"."),
    };
}

/// <summary><c>GET .../floor</c> (and the content of the <c>org.matrix.msc4002.floor</c> ephemeral event).</summary>
public sealed record FloorStatus(FloorState State, DeviceRef? Holder, long Epoch, long? GrantedTs, long? ExpiresTs, IReadOnlyList<DeviceRef> Queue)
{
    public const string EphemeralType = "org.matrix.msc4002.floor";

    public static FloorStatus FromJson(JsonObject body)
    {
        var state = body.String("state") switch
        {
            "idle" => FloorState.Idle,
            "taken" => FloorState.Taken,
            var other => throw new InvalidDataException($"Floor state \"{other}\" is neither idle nor taken."),
        };
        var queue = (body["queue"] as JsonArray)?.OfType<JsonObject>()
            .Select(e => e.String("user_id") is { } u && e.String("device_id") is { } d ? new DeviceRef(u, d) : null)
            .OfType<DeviceRef>().ToList() ?? [];
        return new FloorStatus(state, body.Device("holder"), body.Long("epoch") ?? 0, body.Long("granted_ts"), body.Long("expires_ts"), queue);
    }
}
