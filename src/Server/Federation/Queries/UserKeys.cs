using Npgsql;
using WalkieTalkie.Server.Matrix.Keys;

namespace WalkieTalkie.Server.Federation.Queries;

/// <summary>
/// POST /v1/user/keys/query, POST /v1/user/keys/claim, GET /v1/user/devices/{userId}: local users' E2EE keys for
/// other servers (no user-signing keys and no other users' signatures: those are the owner's alone).
/// </summary>
public static class UserKeys
{
    public static void MapUserKeys(this RouteGroupBuilder federation)
    {
        federation.MapPost("/v1/user/keys/query", async (HttpContext http, IQuerySession session, IOptions<MatrixOptions> matrix, CancellationToken ct) =>
        {
            var body = await MatrixBody.ReadElementAsync(http.Request, KeysModule.MaxBodyBytes);
            if (!body.IsObject() || !body.TryGetProperty("device_keys", out var query) || !query.IsObject())
                return MatrixError.BadJson("'device_keys' must be a JSON object").ToResult();
            var wanted = new Dictionary<string, string[]>();
            foreach (var user in query.EnumerateObject())
            {
                if (user.Value.ValueKind != JsonValueKind.Array || user.Value.EnumerateArray().Any(d => d.ValueKind != JsonValueKind.String))
                    return MatrixError.BadJson("'device_keys' values must be a list of strings").ToResult();
                if (MatrixIds.IsLocal(user.Name, matrix.Value.ServerName)) wanted[user.Name] = user.Value.EnumerateArray().Select(d => d.GetString()!).ToArray();
            }
            var keys = await QueryKeys.LocalAsync(session, wanted, null, ct);
            return TypedResults.Ok(new { device_keys = keys.DeviceKeys, master_keys = keys.MasterKeys, self_signing_keys = keys.SelfSigningKeys });
        });

        federation.MapPost("/v1/user/keys/claim", async (HttpContext http, IDocumentSession session, NpgsqlDataSource database,
            IOptions<MatrixOptions> matrix, CancellationToken ct) =>
        {
            var body = await MatrixBody.ReadElementAsync(http.Request, KeysModule.MaxBodyBytes);
            if (!body.IsObject() || !body.TryGetProperty("one_time_keys", out var query) || !query.IsObject())
                return MatrixError.BadJson("'one_time_keys' must be a JSON object").ToResult();
            var wanted = new List<(string, string, string)>();
            foreach (var user in query.EnumerateObject())
            {
                if (!user.Value.IsObject() || user.Value.EnumerateObject().Any(d => d.Value.ValueKind != JsonValueKind.String))
                    return MatrixError.BadJson("'one_time_keys' maps user ids to {device id: algorithm}").ToResult();
                if (MatrixIds.IsLocal(user.Name, matrix.Value.ServerName))
                    wanted.AddRange(user.Value.EnumerateObject().Select(d => (user.Name, d.Name, d.Value.GetString()!)));
            }
            return TypedResults.Ok(new { one_time_keys = await ClaimKeys.ClaimLocalAsync(session, database, wanted, ct) });
        });

        federation.MapGet("/v1/user/devices/{userId}", async (string userId, IQuerySession session, IOptions<MatrixOptions> matrix, CancellationToken ct) =>
        {
            if (!MatrixIds.IsLocal(userId, matrix.Value.ServerName)) return MatrixError.InvalidParam($"{userId} is not a user of this server").ToResult();
            var devices = await session.Query<UserDevice>().Where(d => d.UserId == userId).ToListAsync(ct);
            var keys = await QueryKeys.LocalAsync(session, new Dictionary<string, string[]> { [userId] = [] }, null, ct);
            var deviceKeys = keys.DeviceKeys.GetValueOrDefault(userId) ?? [];
            var list = new JsonArray();
            foreach (var device in devices.OrderBy(d => d.DeviceId, StringComparer.Ordinal))
            {
                var entry = new JsonObject { ["device_id"] = device.DeviceId };
                if (device.DisplayName is { } name) entry["device_display_name"] = name;
                if (deviceKeys.TryGetValue(device.DeviceId, out var k)) entry["keys"] = JsonNode.Parse(k.Json);
                list.Add(entry);
            }
            var stream = await session.Events.FetchStreamStateAsync(SyncStreams.DeviceList(userId), ct);
            var answer = new JsonObject { ["user_id"] = userId, ["stream_id"] = stream?.Version ?? 0, ["devices"] = list };
            if (keys.MasterKeys.TryGetValue(userId, out var master)) answer["master_key"] = JsonNode.Parse(master.Json);
            if (keys.SelfSigningKeys.TryGetValue(userId, out var selfSigning)) answer["self_signing_key"] = JsonNode.Parse(selfSigning.Json);
            return TypedResults.Ok(answer);
        });
    }
}
