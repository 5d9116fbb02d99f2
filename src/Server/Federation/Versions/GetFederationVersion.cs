namespace WalkieTalkie.Server.Federation.Versions;

/// <summary>GET /_matrix/federation/v1/version: which implementation this is (no authentication).</summary>
public static class GetFederationVersion
{
    public static readonly string Version = typeof(GetFederationVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public sealed record Response(ServerInfo Server);

    public sealed record ServerInfo(string Name, string Version);

    static readonly Response Body = new(new ServerInfo("WalkieTalkie", Version));

    public static void MapGetFederationVersion(this IEndpointRouteBuilder app) =>
        app.MapGet("/_matrix/federation/v1/version", () => TypedResults.Ok(Body)).AllowAnonymous();
}
