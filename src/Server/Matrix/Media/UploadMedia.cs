using Microsoft.AspNetCore.Http.Features;

namespace WalkieTalkie.Server.Matrix.Media;

/// <summary>POST /_matrix/media/v3/upload?filename=: the raw body becomes new media; answers its `mxc://` URI.</summary>
public static class UploadMedia
{
    public sealed record Response(string ContentUri);

    public static void MapUploadMedia(this RouteGroupBuilder mediaV3) =>
        mediaV3.MapPost("/upload", Handle).RequireAccessToken();

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(HttpContext http, string? filename, MediaStore media, CancellationToken ct)
    {
        // Refuse a declared oversize body before reading any of it; an undeclared one is counted while streaming.
        if (http.Request.ContentLength > media.MaxUploadBytes)
            return MatrixError.TooLarge($"Upload is larger than {media.MaxUploadBytes} bytes").ToTypedResult();
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = media.MaxUploadBytes;

        var contentType = string.IsNullOrWhiteSpace(http.Request.ContentType) ? "application/octet-stream" : http.Request.ContentType;
        var uri = await media.SaveAsync(http.Request.Body, contentType, string.IsNullOrEmpty(filename) ? null : filename,
            http.Device().UserId, ct);
        return TypedResults.Ok(new Response(uri));
    }
}
