namespace WalkieTalkie.Server.Infrastructure;

/// <summary>Reading members of request JSON objects; bodies themselves are read by <see cref="MatrixBody"/>.</summary>
public static class MatrixJson
{
    /// <summary>Largest event content accepted: a whole Matrix event may not exceed 65,536 bytes.</summary>
    public const int MaxEventBytes = MatrixBody.DefaultMaxBytes;

    public static string? String(this JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string RequireString(this JsonObject o, string key) =>
        o.String(key) ?? throw new MatrixException(MatrixError.BadJson($"`{key}` must be a string"));
}
