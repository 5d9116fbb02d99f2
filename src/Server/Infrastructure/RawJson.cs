namespace WalkieTalkie.Server.Infrastructure;

/// <summary>
/// JSON text kept as received (signed key objects, to-device content) and written back unchanged, so clients
/// can verify signatures over exactly what was uploaded.
/// </summary>
[JsonConverter(typeof(RawJsonConverter))]
public sealed record RawJson(string Json)
{
    public static RawJson From(JsonElement element) => new(element.GetRawText());

    public override string ToString() => Json;
}

public sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return RawJson.From(document.RootElement);
    }

    // The text was parsed when it came in, so it is valid JSON; skipping validation keeps writes cheap.
    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Json, skipInputValidation: true);
}
