using Npgsql;
using WalkieTalkie.Server.Matrix.Keys;

namespace WalkieTalkie.Server.Federation.Queries;

/// <summary>
/// POST /v1/user/keys/query, POST /v1/user/keys/claim, GET /v1/user/devices/{userId}: local users' E2EE keys for
/// other servers (no user-signing keys and no other users' signatures: those are the owner's alone).
/// </summary>
public static class UserKeys
{
    /// <summary>POST /v1/user/keys/claim: one claimed key per user, device and algorithm.</summary>
    public sealed record ClaimResponse(Dictionary<string, Dictionary<string, Dictionary<string, RawJson>>> OneTimeKeys);

    /// <summary>GET /v1/user/devices/{userId}: the devices (by id, ordinal), the device list's version, the cross-signing keys.</summary>
    public sealed record DevicesResponse(string UserId, long StreamId, IReadOnlyList<DeviceEntry> Devices, JsonNode? MasterKey, JsonNode? SelfSigningKey);

    public sealed record DeviceEntry(string DeviceId, string? DeviceDisplayName, JsonNode? Keys);

    public static void MapUserKeys(this RouteGroupBuilder federation)
    {
        federation.MapPost("/v1/user/keys/query", Query);
        federation.MapPost("/v1/user/keys/claim", Claim);
        federation.MapGet("/v1/user/devices/{userId}", Devices);
    }

    /// <summary>As the client API's /keys/query for local users, without user-signing keys (<see cref="QueryKeys.KeysAnswer"/>).</summary>
    static async Task<Results<Ok<QueryKeys.KeysAnswer>, JsonHttpResult<MatrixError>>> Query(HttpContext http, IQuerySession session,
        IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        var body = await MatrixBody.ReadElementAsync(http.Request, KeysModule.MaxBodyBytes);
        if (!body.IsObject() || !body.TryGetProperty("device_keys", out var query) || !query.IsObject())
            return MatrixError.BadJson("'device_keys' must be a JSON object").ToTypedResult();
        var wanted = new Dictionary<string, string[]>();
        foreach (var user in query.EnumerateObject())
        {
            if (user.Value.ValueKind != JsonValueKind.Array || user.Value.EnumerateArray().Any(d => d.ValueKind != JsonValueKind.String))
                return MatrixError.BadJson("'device_keys' values must be a list of strings").ToTypedResult();
            if (MatrixIds.IsLocal(user.Name, matrix.Value.ServerName)) wanted[user.Name] = user.Value.EnumerateArray().Select(d => d.GetString()!).ToArray();
        }
        return TypedResults.Ok(await QueryKeys.LocalAsync(session, wanted, null, ct));
    }

    static async Task<Results<Ok<ClaimResponse>, JsonHttpResult<MatrixError>>> Claim(HttpContext http, IDocumentSession session,
        NpgsqlDataSource database, IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        var body = await MatrixBody.ReadElementAsync(http.Request, KeysModule.MaxBodyBytes);
        if (!body.IsObject() || !body.TryGetProperty("one_time_keys", out var query) || !query.IsObject())
            return MatrixError.BadJson("'one_time_keys' must be a JSON object").ToTypedResult();
        var wanted = new List<(string, string, string)>();
        foreach (var user in query.EnumerateObject())
        {
            if (!user.Value.IsObject() || user.Value.EnumerateObject().Any(d => d.Value.ValueKind != JsonValueKind.String))
                return MatrixError.BadJson("'one_time_keys' maps user ids to {device id: algorithm}").ToTypedResult();
            if (MatrixIds.IsLocal(user.Name, matrix.Value.ServerName))
                wanted.AddRange(user.Value.EnumerateObject().Select(d => (user.Name, d.Name, d.Value.GetString()!)));
        }
        return TypedResults.Ok(new ClaimResponse(await ClaimKeys.ClaimLocalAsync(session, database, wanted, ct)));
    }

    static async Task<Results<Ok<DevicesResponse>, JsonHttpResult<MatrixError>>> Devices(string userId, IQuerySession session,
        IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        if (!MatrixIds.IsLocal(userId, matrix.Value.ServerName)) return MatrixError.InvalidParam($"{userId} is not a user of this server").ToTypedResult();
        var devices = await session.Query<UserDevice>().Where(d => d.UserId == userId).ToListAsync(ct);
        var keys = await QueryKeys.LocalAsync(session, new Dictionary<string, string[]> { [userId] = [] }, null, ct);
        var deviceKeys = keys.DeviceKeys.GetValueOrDefault(userId) ?? [];
        var list = devices.OrderBy(d => d.DeviceId, StringComparer.Ordinal)
            .Select(d => new DeviceEntry(d.DeviceId, d.DisplayName, deviceKeys.TryGetValue(d.DeviceId, out var k) ? JsonNode.Parse(k.Json) : null))
            .ToList();
        var stream = await session.Events.FetchStreamStateAsync(SyncStreams.DeviceList(userId), ct);
        return TypedResults.Ok(new DevicesResponse(userId, stream?.Version ?? 0, list,
            keys.MasterKeys.TryGetValue(userId, out var master) ? JsonNode.Parse(master.Json) : null,
            keys.SelfSigningKeys.TryGetValue(userId, out var selfSigning) ? JsonNode.Parse(selfSigning.Json) : null));
    }
}
