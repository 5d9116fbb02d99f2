using WalkieTalkie.Server.Federation.Crypto;

namespace WalkieTalkie.Server.Federation.Keys;

/// <summary>
/// Notary: GET /_matrix/key/v2/query/{serverName} and POST /_matrix/key/v2/query (no authentication). Each server's own
/// key answer as fetched, with this server's signature added beside the server's own.
/// </summary>
public static class QueryServerKeys
{
    /// <summary>Each server's key answer (its own signed object, with this server's signature added).</summary>
    public sealed record Response(IReadOnlyList<JsonObject> ServerKeys);

    public static void MapQueryServerKeys(this IEndpointRouteBuilder app)
    {
        app.MapGet("/_matrix/key/v2/query/{serverName}", async Task<Ok<Response>> (string serverName, HttpContext http, IServiceProvider services, CancellationToken ct) =>
        {
            var minimum = long.TryParse(http.Request.Query["minimum_valid_until_ts"], out var m) ? m : 0;
            return await AnswerAsync(services, [(serverName, minimum)], ct);
        });

        app.MapPost("/_matrix/key/v2/query", async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> (HttpContext http, IServiceProvider services, CancellationToken ct) =>
        {
            var body = await MatrixBody.ReadElementAsync(http.Request);
            if (!body.IsObject() || !body.TryGetProperty("server_keys", out var wanted) || !wanted.IsObject())
                return MatrixError.BadJson("'server_keys' must be a JSON object").ToTypedResult();
            var asks = new List<(string, long)>();
            foreach (var server in wanted.EnumerateObject())
            {
                long minimum = 0;
                if (server.Value.ValueKind == JsonValueKind.Object)
                    foreach (var key in server.Value.EnumerateObject())
                        if (key.Value.ValueKind == JsonValueKind.Object && key.Value.TryGetProperty("minimum_valid_until_ts", out var ts) && ts.TryGetInt64(out var t))
                            minimum = Math.Max(minimum, t);
                asks.Add((server.Name, minimum));
            }
            return await AnswerAsync(services, asks, ct);
        });
    }

    static async Task<Ok<Response>> AnswerAsync(IServiceProvider services, IReadOnlyList<(string Server, long MinimumValidUntilTs)> asks, CancellationToken ct)
    {
        var own = services.GetRequiredService<ServerSigningKeys>();
        var peers = services.GetRequiredService<PeerKeys>();
        var key = await own.CurrentAsync(ct);
        var answers = new List<JsonObject>();
        foreach (var (server, minimum) in asks.Take(100))
        {
            JsonObject? response = server == own.ServerName
                ? await GetServerKey.BuildAsync(own, services.GetRequiredService<IOptions<FederationOptions>>().Value,
                    services.GetRequiredService<TimeProvider>(), ct)
                : (await peers.KeySetValidUntilAsync(server, minimum, ct))?.Response.DeepClone().AsObject();
            if (response is null) continue;
            if (server != own.ServerName) JsonSigning.Sign(response, own.ServerName, key);
            answers.Add(response);
        }
        return TypedResults.Ok(new Response(answers));
    }
}
