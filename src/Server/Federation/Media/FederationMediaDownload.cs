using System.Security.Cryptography;
using System.Text;
using Microsoft.Net.Http.Headers;
using WalkieTalkie.Server.Matrix.Media;

namespace WalkieTalkie.Server.Federation.Media;

/// <summary>
/// GET /_matrix/federation/v1/media/download/{mediaId}: local media for another server, as `multipart/mixed` with
/// exactly two parts (spec): the metadata JSON (`{}`), then the bytes with their Content-Type and Content-Disposition.
/// </summary>
public static class FederationMediaDownload
{
    public static void MapFederationMediaDownload(this RouteGroupBuilder federation) =>
        federation.MapGet("/v1/media/download/{mediaId}", async (string mediaId, HttpContext http, MediaStore media, CancellationToken ct) =>
        {
            if (await media.FindAsync(media.ServerName, mediaId, ct) is not var (file, path))
            {
                await MatrixError.NotFound("Not found").ToTypedResult().ExecuteAsync(http);
                return;
            }
            var boundary = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            http.Response.ContentType = $"multipart/mixed; boundary={boundary}";
            var disposition = new ContentDispositionHeaderValue("attachment");
            if (file.FileName is { Length: > 0 } name) disposition.SetHttpFileName(name);
            var head = $"--{boundary}\r\nContent-Type: application/json\r\n\r\n{{}}\r\n--{boundary}\r\n" +
                $"Content-Type: {file.ContentType}\r\nContent-Disposition: {disposition}\r\n\r\n";
            var tail = $"\r\n--{boundary}--\r\n";
            http.Response.ContentLength = Encoding.UTF8.GetByteCount(head) + file.Size + Encoding.UTF8.GetByteCount(tail);
            await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(head), ct);
            await using (var content = File.OpenRead(path)) await content.CopyToAsync(http.Response.Body, ct);
            await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(tail), ct);
        });
}
