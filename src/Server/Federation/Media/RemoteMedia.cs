using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using WalkieTalkie.Server.Matrix.Media;

namespace WalkieTalkie.Server.Federation.Media;

/// <summary>Remote media fetched once: id "server|media id"; the bytes under the media folder's remote/ subfolder.</summary>
public sealed record RemoteMediaFile(string Id, string ContentType, string? FileName, long Size, DateTimeOffset FetchedAt);

/// <summary>
/// Media of `mxc://otherserver/...` for local clients: fetched from that server (GET /_matrix/federation/v1/media/download),
/// kept, and then served like local media. A `Location` part (redirect to a CDN) is not followed.
/// </summary>
public sealed partial class RemoteMedia(FederationClient client, IDocumentStore store, IOptions<MediaOptions> options, TimeProvider clock,
    ILogger<RemoteMedia> logger)
{
    readonly string _root = Path.Combine(options.Value.ResolvedPath(), "remote");
    readonly SemaphoreSlim _fetching = new(4);

    public async Task<(MediaFile Media, string Path)?> FindAsync(string serverName, string mediaId, CancellationToken ct)
    {
        if (!ServerNameRegex().IsMatch(serverName) || serverName.Contains("..") || !MediaIdRegex().IsMatch(mediaId)) return null;
        var id = $"{serverName}|{mediaId}";
        var path = Path.Combine(_root, serverName, mediaId);
        await using (var session = store.QuerySession())
        {
            if (await session.LoadAsync<RemoteMediaFile>(id, ct) is { } known && File.Exists(path)) return (AsMediaFile(known, mediaId), path);
        }
        await _fetching.WaitAsync(ct);
        try
        {
            return await FetchAsync(serverName, mediaId, id, path, ct) is { } fetched ? (AsMediaFile(fetched, mediaId), path) : null;
        }
        finally
        {
            _fetching.Release();
        }
    }

    static MediaFile AsMediaFile(RemoteMediaFile f, string mediaId) => new(mediaId, f.ContentType, f.FileName, f.Size, "", "", f.FetchedAt);

    async Task<RemoteMediaFile?> FetchAsync(string serverName, string mediaId, string id, string path, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(serverName, HttpMethod.Get, $"/_matrix/federation/v1/media/download/{mediaId}", null, ct);
        }
        catch (FederationException e)
        {
            logger.LogInformation("Media {Server}/{MediaId} not fetched: {Message}", serverName, mediaId, e.Message);
            return null;
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) return null;
            var boundary = response.Content.Headers.ContentType?.Parameters.FirstOrDefault(p => p.Name == "boundary")?.Value?.Trim('"');
            if (response.Content.Headers.ContentType?.MediaType != "multipart/mixed" || boundary is null) return null;
            var reader = new MultipartReader(boundary, await response.Content.ReadAsStreamAsync(ct)) { BodyLengthLimit = options.Value.MaxUploadBytes };
            var metadata = await reader.ReadNextSectionAsync(ct);
            var data = metadata is null ? null : await reader.ReadNextSectionAsync(ct);
            if (data is null || data.Headers?.ContainsKey("Location") == true) return null;
            var fileName = ContentDispositionHeaderValue.TryParse(data.ContentDisposition, out var cd) ? (cd.FileNameStar.Value ?? cd.FileName.Value?.Trim('"')) : null;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + ".part";
            long size;
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await data.Body.CopyToAsync(file, ct);
                size = file.Length;
            }
            File.Move(temp, path, overwrite: true);
            var stored = new RemoteMediaFile(id, data.ContentType ?? "application/octet-stream", fileName, size, clock.GetUtcNow());
            await using var session = store.LightweightSession();
            session.Store(stored);
            await session.SaveChangesAsync(ct);
            return stored;
        }
    }

    /// <summary>Only names that cannot leave the media folder: host names, IP literals, ports.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9\[][A-Za-z0-9\-.:\[\]]{0,254}$")]
    private static partial Regex ServerNameRegex();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,255}$")]
    private static partial Regex MediaIdRegex();
}
