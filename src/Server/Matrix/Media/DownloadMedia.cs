using Microsoft.Net.Http.Headers;
using WalkieTalkie.Server.Federation.Media;

namespace WalkieTalkie.Server.Matrix.Media;

/// <summary>
/// GET /_matrix/client/v1/media/download/{serverName}/{mediaId}[/{fileName}] (authenticated) and the deprecated
/// unauthenticated /_matrix/media/v3/download/... Headers as Synapse sends them.
/// </summary>
public static class DownloadMedia
{
    // Spec "Serving inline content" (v1.12; v1.11 leaves the choice open): only these types may be shown inline.
    static readonly HashSet<string> InlineTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "text/css", "text/plain", "text/csv", "application/json", "application/ld+json",
        "image/jpeg", "image/gif", "image/png", "image/apng", "image/webp", "image/avif",
        "video/mp4", "video/webm", "video/ogg", "video/quicktime",
        "audio/mp4", "audio/webm", "audio/aac", "audio/mpeg", "audio/ogg", "audio/wave", "audio/wav", "audio/x-wav",
        "audio/x-pn-wav", "audio/flac", "audio/x-flac",
    };

    static readonly HashSet<string> TextTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "text/css", "text/csv", "text/html", "text/calendar", "text/plain", "text/javascript", "application/json",
        "application/ld+json", "application/rtf", "image/svg+xml", "text/xml",
    };

    const string ContentSecurityPolicy =
        "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';";

    public static void MapAuthenticatedDownload(this RouteGroupBuilder clientV1Media)
    {
        clientV1Media.MapGet("/download/{serverName}/{mediaId}", Handle).RequireAccessToken();
        clientV1Media.MapGet("/download/{serverName}/{mediaId}/{fileName}", Handle).RequireAccessToken();
    }

    public static void MapUnauthenticatedDownload(this RouteGroupBuilder legacyMedia)
    {
        legacyMedia.MapGet("/download/{serverName}/{mediaId}", Handle);
        legacyMedia.MapGet("/download/{serverName}/{mediaId}/{fileName}", Handle);
    }

    static async Task<Results<PhysicalFileHttpResult, JsonHttpResult<MatrixError>>> Handle(HttpContext http, string serverName, string mediaId, string? fileName, MediaStore media,
        RemoteMedia remote, CancellationToken ct)
    {
        // mxc://otherserver/... is fetched from that server once, then served from here like local media.
        var found = serverName == media.ServerName ? await media.FindAsync(serverName, mediaId, ct) : await remote.FindAsync(serverName, mediaId, ct);
        if (found is not var (file, path))
            return MatrixError.NotFound("Not found").ToTypedResult();

        var baseType = file.ContentType.Split(';', 2)[0].Trim();
        var contentType = TextTypes.Contains(file.ContentType) ? file.ContentType + "; charset=UTF-8" : file.ContentType;
        var disposition = new ContentDispositionHeaderValue(InlineTypes.Contains(baseType) ? "inline" : "attachment");
        if ((fileName ?? file.FileName) is { Length: > 0 } name) disposition.SetHttpFileName(name);

        var headers = http.Response.Headers;
        headers.ContentDisposition = disposition.ToString();
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["X-Content-Security-Policy"] = "sandbox;";
        headers["Cross-Origin-Resource-Policy"] = "cross-origin";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "public,max-age=86400,s-maxage=86400";
        headers["X-Robots-Tag"] = "noindex, nofollow, noarchive, noimageindex";
        return TypedResults.PhysicalFile(path, contentType, enableRangeProcessing: true);
    }
}
