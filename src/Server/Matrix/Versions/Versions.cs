namespace WalkieTalkie.Server.Matrix.Versions;

/// <summary>GET /_matrix/client/versions and /.well-known/matrix/client (spec: Server discovery).</summary>
public static class Versions
{
    public const string Msc4002 = "org.matrix.msc4002";

    public sealed record Response(IReadOnlyList<string> Versions, IReadOnlyDictionary<string, bool> UnstableFeatures);

    public sealed record WellKnown([property: JsonPropertyName("m.homeserver")] WellKnownHomeserver Homeserver);
    public sealed record WellKnownHomeserver(string BaseUrl);

    static readonly Response Supported = new(
        ["r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
         "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11"],
        new Dictionary<string, bool> { [Msc4002] = true });

    public static void MapVersions(this IEndpointRouteBuilder app)
    {
        app.MapGet("/_matrix/client/versions", () => TypedResults.Ok(Supported));
        app.MapGet("/.well-known/matrix/client", ClientWellKnown);
    }

    static Ok<WellKnown> ClientWellKnown(HttpRequest request, IOptions<MatrixOptions> options) =>
        TypedResults.Ok(new WellKnown(new(options.Value.PublicBaseUrl ?? $"{request.Scheme}://{request.Host}")));
}
