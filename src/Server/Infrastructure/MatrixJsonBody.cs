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
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            // Chunked bodies carry no length: count while reading instead of trusting the header.
            if (buffer.Length + read > maxBytes) throw TooLarge(maxBytes);
            buffer.Write(chunk, 0, read);
        }

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

    static MatrixException TooLarge(int maxBytes) =>
        new(MatrixError.TooLarge($"Request body is larger than {maxBytes} bytes"));
}
