using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace WalkieTalkie.Server.Matrix.Media;

/// <summary>
/// Files on disk plus a <see cref="MediaFile"/> document. A file is written under a temporary name and moved into
/// place when complete, and its document is stored only after that: nothing half-written is ever served.
/// </summary>
public sealed partial class MediaStore(IOptions<MediaOptions> options, IOptions<MatrixOptions> matrix, IDocumentStore store,
    TimeProvider clock, ILogger<MediaStore> logger)
{
    readonly string _root = options.Value.ResolvedPath();

    public long MaxUploadBytes => options.Value.MaxUploadBytes;
    public string ServerName => matrix.Value.ServerName;

    /// <summary>Stores the content and returns its `mxc://` URI; M_TOO_LARGE (as MatrixException) past the upload limit.</summary>
    public async Task<string> SaveAsync(Stream content, string contentType, string? fileName, string uploaderUserId, CancellationToken ct)
    {
        var mediaId = MatrixIds.RandomToken(24);
        var path = PathOf(mediaId);
        var temp = path + ".part";
        long size = 0;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, ct)) > 0)
                {
                    size += read;
                    if (size > MaxUploadBytes) throw new MatrixException(MatrixError.TooLarge($"Upload is larger than {MaxUploadBytes} bytes"));
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
                await file.FlushAsync(ct);
            }
            File.Move(temp, path);

            await using var session = store.LightweightSession();
            session.Insert(new MediaFile(mediaId, contentType, fileName, size, Convert.ToHexStringLower(sha.GetHashAndReset()),
                uploaderUserId, clock.GetUtcNow()));
            await session.SaveChangesAsync(ct);
        }
        catch (Exception e) when (StorageFailure(e) is { } reason)
        {
            TryDelete(temp);
            TryDelete(path);
            logger.LogError(e, "Upload by {User} not stored: media folder {Root} {Reason}", uploaderUserId, _root, reason);
            throw new MatrixException(MatrixError.ResourceLimitExceeded($"The server cannot store media: its media folder {reason}",
                string.IsNullOrWhiteSpace(options.Value.AdminContact) ? $"mailto:postmaster@{ServerName}" : options.Value.AdminContact));
        }
        catch
        {
            TryDelete(temp);
            TryDelete(path);
            throw;
        }
        return $"mxc://{ServerName}/{mediaId}";
    }

    // errno on Linux: ENOSPC 28, EDQUOT 122, EROFS 30; EACCES/EPERM come as UnauthorizedAccessException.
    static string? StorageFailure(Exception e) => e switch
    {
        IOException { HResult: 28 or 122 } => "is full",
        IOException { HResult: 30 } or UnauthorizedAccessException => "is not writable",
        _ => null,
    };

    /// <summary>The document and file path of local media; null for unknown ids, other servers and malformed ids.</summary>
    public async Task<(MediaFile Media, string Path)?> FindAsync(string serverName, string mediaId, CancellationToken ct)
    {
        if (serverName != ServerName || !MediaIdRegex().IsMatch(mediaId)) return null;
        await using var session = store.QuerySession();
        var media = await session.LoadAsync<MediaFile>(mediaId, ct);
        var path = PathOf(mediaId);
        return media is not null && File.Exists(path) ? (media, path) : null;
    }

    // Two levels of fan-out keep folders small; the id is alphanumeric, so it cannot leave the root.
    string PathOf(string mediaId) => Path.Combine(_root, mediaId[..2], mediaId[2..4], mediaId);

    void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (DirectoryNotFoundException) { } // its folder could not be made: nothing to delete
        catch (IOException e) { logger.LogWarning(e, "Could not delete {Path}", path); }
    }

    /// <summary>Spec "Security considerations": media ids only of A-Za-z0-9, `_` and `-`.</summary>
    [GeneratedRegex("^[A-Za-z0-9_-]{4,255}$")]
    private static partial Regex MediaIdRegex();
}
