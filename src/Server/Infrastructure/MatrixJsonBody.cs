using System.Text.Json;

namespace WalkieTalkie.Server.Infrastructure;

/// <summary>
/// Reads a request body as one JSON object where it must pass through untouched (account data, filters) or may be
/// empty (DELETE with optional UIA): M_TOO_LARGE, M_NOT_JSON and M_BAD_JSON come from here.
/// </summary>
public static class MatrixJsonBody
{
    public const int DefaultMaxBytes = 64 * 1024;

    public static async Task<JsonElement> ReadObjectAsync(HttpRequest request, CancellationToken ct,
        int maxBytes = DefaultMaxBytes, bool emptyIsObject = false)
    {
        using var buffer = await MatrixJson.ReadBodyAsync(request, maxBytes, ct);
        if (buffer.Length == 0)
            return emptyIsObject
                ? JsonDocument.Parse("{}").RootElement
                : throw new MatrixException(MatrixError.NotJson("Content not JSON."));

        JsonDocument document;
        try { document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)); }
        catch (JsonException) { throw new MatrixException(MatrixError.NotJson("Content not JSON.")); }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new MatrixException(MatrixError.BadJson("Content must be a JSON object."));
            return document.RootElement.Clone();
        }
    }
}
