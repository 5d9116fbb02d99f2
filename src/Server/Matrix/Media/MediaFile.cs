namespace WalkieTalkie.Server.Matrix.Media;

/// <summary>A stored upload (Marten document, id = media id); the bytes live in a file named after the id.</summary>
public sealed record MediaFile(string Id, string ContentType, string? FileName, long Size, string Sha256, string UploaderUserId,
    DateTimeOffset CreatedAt);
