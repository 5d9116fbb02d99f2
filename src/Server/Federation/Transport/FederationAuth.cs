using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using WalkieTalkie.Server.Federation.Keys;

namespace WalkieTalkie.Server.Federation.Transport;

/// <summary>
/// Every request under /_matrix/federation/ must carry a valid X-Matrix signature of its origin, addressed to this server;
/// else 401 M_UNAUTHORIZED. An endpoint the spec serves without authentication (e.g. /version) is marked with ASP.NET's
/// <c>AllowAnonymous()</c>. Handlers read the authenticated origin with <see cref="FederationOrigin"/>.
/// </summary>
public static class FederationAuth
{
    const string OriginKey = "matrix.federation.origin";
    public const string Prefix = "/_matrix/federation";

    /// <summary>The server that signed this request; only valid on /_matrix/federation/ endpoints.</summary>
    public static string FederationOrigin(this HttpContext http) =>
        http.Items[OriginKey] as string ?? throw new InvalidOperationException("not an authenticated federation request");

    public static WebApplication UseFederationAuth(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (!http.Request.Path.StartsWithSegments(Prefix) || http.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                await next(http);
                return;
            }
            if (await AuthenticateAsync(http) is { } refusal)
            {
                http.Response.StatusCode = refusal.Status;
                await http.Response.WriteAsJsonAsync(refusal, http.RequestAborted);
                return;
            }
            await next(http);
        });
        return app;
    }

    /// <summary>Null when the request is authentic (origin stored in Items), else the error to answer.</summary>
    static async Task<MatrixError?> AuthenticateAsync(HttpContext http)
    {
        var headers = http.Request.Headers.Authorization;
        var header = headers.Select(XMatrixHeader.Parse).FirstOrDefault(h => h is not null);
        if (header is null) return FederationErrors.Unauthorized("Missing or malformed X-Matrix Authorization header");
        var keys = http.RequestServices.GetRequiredService<ServerSigningKeys>();
        if (header.Destination is not null && !string.Equals(header.Destination, keys.ServerName, StringComparison.OrdinalIgnoreCase))
            return FederationErrors.Unauthorized($"Request is for {header.Destination}, this is {keys.ServerName}");

        JsonNode? content = null;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            http.Request.EnableBuffering();
            try
            {
                content = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            }
            catch (JsonException)
            {
                return MatrixError.NotJson("Content not JSON.");
            }
            http.Request.Body.Position = 0;
        }

        var peerKeys = http.RequestServices.GetRequiredService<PeerKeys>();
        var key = await peerKeys.FindAsync(header.Origin, header.Key, http.RequestAborted);
        if (key is null) return FederationErrors.Unauthorized($"No key {header.Key} of {header.Origin} could be found");
        var uri = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path + http.Request.QueryString;
        if (!RequestSigning.Verify(header, http.Request.Method, uri, header.Destination ?? keys.ServerName, content, key.Key))
            return FederationErrors.Unauthorized("Invalid X-Matrix signature");
        http.Items[OriginKey] = header.Origin;
        return null;
    }
}
