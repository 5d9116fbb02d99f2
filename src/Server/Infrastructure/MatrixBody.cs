using System.Diagnostics.CodeAnalysis;

namespace WalkieTalkie.Server.Infrastructure;

/// <summary>
/// The one reader of JSON request bodies: at most a size limit (413 M_TOO_LARGE, declared or streamed), declared as
/// JSON when a type is declared, parsable (M_NOT_JSON), a JSON object of the right shape (M_BAD_JSON), and free of
/// strings PostgreSQL cannot store (U+0000, lone surrogates: M_BAD_JSON).
/// </summary>
public static class MatrixBody
{
    /// <summary>Largest body by default: a whole Matrix event may not exceed 65,536 bytes.</summary>
    public const int DefaultMaxBytes = 65_536;

    /// <summary>Nesting deeper than this is refused before anything walks it.</summary>
    public const int MaxDepth = 64;

    /// <summary>The body as a typed request record (see <see cref="IMatrixRequest{TSelf}"/>).</summary>
    public static async Task<T> ReadAsync<T>(HttpContext http, int maxBytes, bool emptyIsObject)
    {
        var utf8 = await ReadObjectBytesAsync(http.Request, maxBytes, emptyIsObject, http.RequestAborted);
        var options = http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        try
        {
            return JsonSerializer.Deserialize<T>(utf8.Span, options) ?? throw new MatrixException(MatrixError.BadJson("Content must be a JSON object"));
        }
        catch (JsonException e) { throw new MatrixException(MatrixError.BadJson("JSON of the wrong shape: " + e.Path)); }
    }

    /// <summary>The body as a mutable JSON object (event content built on by the server); an empty body is {}.</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, int maxBytes = DefaultMaxBytes, bool emptyIsObject = true)
    {
        var utf8 = await ReadObjectBytesAsync(request, maxBytes, emptyIsObject, request.HttpContext.RequestAborted);
        return JsonNode.Parse(utf8.Span, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth })!.AsObject();
    }

    /// <summary>The body as raw JSON kept byte-exact (signed keys, account data, filters).</summary>
    public static async Task<JsonElement> ReadElementAsync(HttpRequest request, int maxBytes = DefaultMaxBytes, bool emptyIsObject = false)
    {
        var utf8 = await ReadObjectBytesAsync(request, maxBytes, emptyIsObject, request.HttpContext.RequestAborted);
        using var document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = MaxDepth });
        return document.RootElement.Clone();
    }

    /// <summary>The checked UTF-8 of a JSON object body ("{}" for an empty body where allowed).</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadObjectBytesAsync(HttpRequest request, int maxBytes, bool emptyIsObject, CancellationToken ct)
    {
        if (request.ContentType is { Length: > 0 } type && !IsJsonType(type))
            throw new MatrixException(MatrixError.NotJson("Content-Type must be application/json"));
        var bytes = await ReadBytesAsync(request, maxBytes, ct);
        if (bytes.Length == 0)
            return emptyIsObject ? "{}"u8.ToArray() : throw new MatrixException(MatrixError.NotJson("Content not JSON."));
        Check(bytes.Span);
        return bytes;
    }

    /// <summary>The whole body, at most <paramref name="maxBytes"/> (413 M_TOO_LARGE), declared or streamed.</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadBytesAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            // Chunked bodies carry no length: count while reading instead of trusting the header.
            if (buffer.Length + read > maxBytes) throw TooLarge(maxBytes);
            buffer.Write(chunk, 0, read);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>
    /// One pass over the tokens: valid JSON, an object at the root, no key twice in one object (JsonObject throws on
    /// those later), no string that jsonb refuses.
    /// </summary>
    public static void Check(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
        var keys = new Stack<HashSet<string>?>();
        try
        {
            if (reader.Read() && reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                throw new MatrixException(MatrixError.BadJson("Content must be a JSON object"));
            }
            keys.Push(null);
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: keys.Push(null); break;
                    case JsonTokenType.EndObject: keys.Pop(); break;
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        if (!IsStorable(name) || !(keys.Peek() ?? NewKeys(keys)).Add(name))
                            throw new MatrixException(MatrixError.BadJson($"Key {JsonSerializer.Serialize(name)} is repeated or holds U+0000"));
                        break;
                    case JsonTokenType.String when reader.ValueIsEscaped && !IsStorable(ref reader):
                        throw new MatrixException(MatrixError.BadJson("Strings may not contain U+0000 or unpaired surrogates"));
                }
            }
        }
        catch (JsonException) { throw new MatrixException(MatrixError.NotJson("Content not JSON.")); }
        catch (InvalidOperationException) { throw new MatrixException(MatrixError.BadJson("Strings may not contain U+0000 or unpaired surrogates")); }
    }

    static HashSet<string> NewKeys(Stack<HashSet<string>?> keys)
    {
        keys.Pop();
        var set = new HashSet<string>(StringComparer.Ordinal);
        keys.Push(set);
        return set;
    }

    /// <summary>A JSON object from a message (the live stream's control messages); false with the Matrix error otherwise.</summary>
    public static bool TryParseObject(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out JsonObject? value, [NotNullWhen(false)] out MatrixError? error)
    {
        value = null;
        try
        {
            Check(utf8);
            value = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth })!.AsObject();
            error = null;
            return true;
        }
        catch (MatrixException refused)
        {
            error = refused.MatrixError;
            return false;
        }
    }

    /// <summary>Whether a string value may be stored: U+0000 and unpaired surrogates are refused by PostgreSQL's jsonb.</summary>
    public static bool IsStorable(string value) => !value.Contains('\0') && !HasLoneSurrogate(value);

    static bool IsStorable(ref Utf8JsonReader reader)
    {
        try { return IsStorable(reader.GetString()!); }
        catch (InvalidOperationException) { return false; }
    }

    static bool HasLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
            else if (char.IsSurrogate(value[i])) return true;
        }
        return false;
    }

    static bool IsJsonType(string contentType)
    {
        var media = contentType.Split(';', 2)[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
               || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    static MatrixException TooLarge(int maxBytes) => new(MatrixError.TooLarge($"Request body is larger than {maxBytes} bytes"));
}
