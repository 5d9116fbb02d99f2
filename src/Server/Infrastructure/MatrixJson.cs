using System.Text.Json;
using System.Text.Json.Nodes;

namespace WalkieTalkie.Server.Infrastructure;

/// <summary>Reading request bodies that must be JSON objects (event content, state), with Matrix errors.</summary>
public static class MatrixJson
{
    /// <summary>Largest event content accepted: a whole Matrix event may not exceed 65,536 bytes.</summary>
    public const int MaxEventBytes = 65_536;

    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, int maxBytes = MaxEventBytes)
    {
        using var body = await ReadBodyAsync(request, maxBytes, request.HttpContext.RequestAborted);
        if (body.Length == 0) return [];
        JsonNode? node;
        try { node = JsonNode.Parse(body.GetBuffer().AsSpan(0, (int)body.Length)); }
        catch (JsonException) { throw new MatrixException(MatrixError.NotJson("Content not JSON.")); }
        return node as JsonObject ?? throw new MatrixException(MatrixError.BadJson("Content must be a JSON object"));
    }

    /// <summary>The whole body, at most <paramref name="maxBytes"/> (413 M_TOO_LARGE), declared or streamed.</summary>
    public static async Task<MemoryStream> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            // Chunked bodies carry no length: count while reading instead of trusting the header.
            if (buffer.Length + read > maxBytes) throw TooLarge(maxBytes);
            buffer.Write(chunk, 0, read);
        }
        return buffer;
    }

    static MatrixException TooLarge(int maxBytes) => new(MatrixError.TooLarge($"Request body is larger than {maxBytes} bytes"));

    public static string? String(this JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string RequireString(this JsonObject o, string key) =>
        o.String(key) ?? throw new MatrixException(MatrixError.BadJson($"`{key}` must be a string"));
}
