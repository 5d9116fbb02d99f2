namespace WalkieTalkie.Client.Matrix;

/// <summary>Tolerant readers for JSON fields: a missing or mistyped field reads as null, the caller decides whether that is fatal.</summary>
internal static class JsonFields
{
    public static string? String(this JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static long? Long(this JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out long l) ? l
        : o[name] is JsonValue d && d.GetValueKind() == JsonValueKind.Number && d.TryGetValue(out double x) && x == Math.Floor(x) && Math.Abs(x) < 9e15 ? (long)x
        : null;

    public static bool? Bool(this JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    public static JsonObject? Object(this JsonObject o, string name) => o[name] as JsonObject;

    public static string RequireString(this JsonObject o, string name, string what) =>
        o.String(name) ?? throw new InvalidDataException($"{what}: \"{name}\" is missing or not a string.");

    public static long RequireLong(this JsonObject o, string name, string what) =>
        o.Long(name) ?? throw new InvalidDataException($"{what}: \"{name}\" is missing or not an integer.");

    public static DeviceRef? Device(this JsonObject o, string name) =>
        o.Object(name) is { } d && d.String("user_id") is { } u && d.String("device_id") is { } dev ? new DeviceRef(u, dev) : null;
}
