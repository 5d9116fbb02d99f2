namespace WalkieTalkie.Server.Infrastructure;

/// <summary>Reading members of request JSON kept as JsonElement (raw, so key material and event content stay byte-exact).</summary>
public static class JsonMembers
{
    public static bool IsObject(this JsonElement e) => e.ValueKind == JsonValueKind.Object;

    public static string? String(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A member that may be absent or null: (false, default) when absent or null.</summary>
    public static bool TryMember(this JsonElement e, string name, out JsonElement value)
    {
        value = default;
        return e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }
}
