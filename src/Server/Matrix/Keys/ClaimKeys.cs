using Npgsql;
using WalkieTalkie.Server.Federation.Queries;

namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>POST /keys/claim: hands out each one-time key once, else the device's fallback key (kept, marked used).</summary>
public static class ClaimKeys
{
    public sealed record Response(Dictionary<string, Dictionary<string, Dictionary<string, RawJson>>> OneTimeKeys, Dictionary<string, JsonObject> Failures);

    public static void MapClaimKeys(this RouteGroupBuilder v3) =>
        v3.MapPost("/keys/claim", Handle).RequireAccessToken();

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(HttpContext http, IDocumentSession session, NpgsqlDataSource database,
        IOptions<MatrixOptions> matrix, RemoteKeys federation, CancellationToken ct)
    {
        var body = await MatrixBody.ReadElementAsync(http.Request, KeysModule.MaxBodyBytes);
        if (!body.IsObject() || !body.TryGetProperty("one_time_keys", out var query) || !query.IsObject())
            return MatrixError.BadJson("'one_time_keys' must be a JSON object").ToTypedResult();
        var wanted = new List<(string UserId, string DeviceId, string Algorithm)>();
        var remote = new List<(string UserId, string DeviceId, string Algorithm)>();
        foreach (var user in query.EnumerateObject())
        {
            if (!user.Value.IsObject() || user.Value.EnumerateObject().Any(d => d.Value.ValueKind != JsonValueKind.String))
                return MatrixError.BadJson("'one_time_keys' maps user ids to {device id: algorithm}").ToTypedResult();
            var devices = user.Value.EnumerateObject().Select(d => (user.Name, d.Name, d.Value.GetString()!));
            if (MatrixIds.IsLocal(user.Name, matrix.Value.ServerName)) wanted.AddRange(devices);
            else if (MatrixIds.TryParseUserId(user.Name, out _, out _)) remote.AddRange(devices);
        }

        var claimed = await ClaimLocalAsync(session, database, wanted, ct);
        // Keys of users of other servers are claimed from their servers (POST /_matrix/federation/v1/user/keys/claim).
        var failures = await federation.ClaimAsync(remote, claimed, ct);
        return TypedResults.Ok(new Response(claimed, failures));
    }

    /// <summary>Claims keys of local devices: user → device → {"algorithm:key id": key}; also served to other servers.</summary>
    public static async Task<Dictionary<string, Dictionary<string, Dictionary<string, RawJson>>>> ClaimLocalAsync(IDocumentSession session,
        NpgsqlDataSource database, IReadOnlyList<(string UserId, string DeviceId, string Algorithm)> wanted, CancellationToken ct)
    {
        var result = new Dictionary<string, Dictionary<string, Dictionary<string, RawJson>>>();
        if (wanted.Count > 0)
        {
            // Each claim is its own autocommitted statement: atomic per key, and committed whatever else happens.
            await using var connection = await database.OpenConnectionAsync(ct);
            var table = session.DocumentStore.Options.FindOrResolveDocumentType(typeof(OneTimeKey)).TableName.QualifiedName;
            foreach (var (userId, deviceId, algorithm) in wanted)
            {
                var claimed = await TakeOneAsync(connection, table, userId, deviceId, algorithm, ct);
                if (claimed is null)
                {
                    var fallback = await session.LoadAsync<FallbackKey>(FallbackKey.Key(userId, deviceId, algorithm), ct);
                    if (fallback is null) continue;
                    if (!fallback.Used) session.Store(fallback with { Used = true });
                    claimed = (fallback.KeyId, fallback.Json);
                }
                var devices = result.TryGetValue(userId, out var d) ? d : result[userId] = [];
                devices[deviceId] = new Dictionary<string, RawJson> { [$"{algorithm}:{claimed.Value.KeyId}"] = new(claimed.Value.Json) };
            }
            await session.SaveChangesAsync(ct);
        }
        return result;
    }

    /// <summary>
    /// Deletes and returns the oldest key in one statement. SKIP LOCKED: a concurrent claim that locked a row first
    /// keeps it, and this one takes the next, so no key is handed out twice and nobody waits.
    /// </summary>
    static async Task<(string KeyId, string Json)?> TakeOneAsync(NpgsqlConnection connection, string table, string userId,
        string deviceId, string algorithm, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            delete from {table} where id = (
                select id from {table}
                where data ->> 'UserId' = $1 and data ->> 'DeviceId' = $2 and data ->> 'Algorithm' = $3
                order by (data ->> 'Rank')::bigint, id
                limit 1
                for update skip locked)
            returning data ->> 'KeyId', data ->> 'Json'
            """;
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = algorithm });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return (reader.GetString(0), reader.GetString(1));
    }
}
