using WalkieTalkie.Server.Federation.Crypto;

namespace WalkieTalkie.Server.Federation.Keys;

/// <summary>GET /_matrix/key/v2/server: this server's published keys, self-signed (no authentication).</summary>
public static class GetServerKey
{
    public static void MapGetServerKey(this IEndpointRouteBuilder app) =>
        app.MapGet("/_matrix/key/v2/server", async (ServerSigningKeys keys, IOptions<FederationOptions> options, TimeProvider clock,
            CancellationToken ct) => TypedResults.Json(await BuildAsync(keys, options.Value, clock, ct)));

    public static async Task<JsonObject> BuildAsync(ServerSigningKeys keys, FederationOptions options, TimeProvider clock, CancellationToken ct)
    {
        var key = await keys.CurrentAsync(ct);
        var old = new JsonObject();
        foreach (var o in await keys.OldKeysAsync(ct))
            old[o.Id] = new JsonObject { ["expired_ts"] = o.ExpiredAt.ToUnixTimeMilliseconds(), ["key"] = o.PublicKey };
        var response = new JsonObject
        {
            ["server_name"] = keys.ServerName,
            ["valid_until_ts"] = (clock.GetUtcNow() + options.KeyValidity).ToUnixTimeMilliseconds(),
            ["verify_keys"] = new JsonObject { [key.KeyId] = new JsonObject { ["key"] = key.PublicKeyBase64 } },
            ["old_verify_keys"] = old,
        };
        return JsonSigning.Sign(response, keys.ServerName, key);
    }
}
