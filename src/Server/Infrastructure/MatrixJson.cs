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
        if (request.ContentLength > maxBytes) throw new MatrixException(MatrixError.TooLarge($"Body larger than {maxBytes} bytes"));
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw new MatrixException(MatrixError.TooLarge($"Body larger than {maxBytes} bytes"));
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) return [];
        JsonNode? node;
        try { node = JsonNode.Parse(buffer.ToArray()); }
        catch (JsonException) { throw new MatrixException(MatrixError.NotJson("Content not JSON.")); }
        return node as JsonObject ?? throw new MatrixException(MatrixError.BadJson("Content must be a JSON object"));
    }

    public static string? String(this JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string RequireString(this JsonObject o, string key) =>
        o.String(key) ?? throw new MatrixException(MatrixError.BadJson($"`{key}` must be a string"));
}
