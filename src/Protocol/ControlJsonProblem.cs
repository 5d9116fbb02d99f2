using System.Reflection;
using System.Text.Json;

namespace WalkieTalkie.Protocol;

/// <summary>Says which field of a control message is wrong, in the protocol's words rather than the serializer's.</summary>
static class ControlJsonProblem
{
    public static string Describe(string type, Type target, ControlJson.Envelope envelope, Exception e)
    {
        if (e is ControlMessageException c) return $"{type}: {c.Message}";
        var parameters = target.GetConstructors().Single().GetParameters();
        var field = MissingRequired(parameters, envelope) ?? FirstSegment((e as JsonException)?.Path);
        var parameter = parameters.FirstOrDefault(p => JsonName(p) == field);
        return field is null ? $"{type}: {e.Message}" : $"{type}: \"{field}\" is missing or not {Expected(parameter?.ParameterType)}.";
    }

    static string? MissingRequired(ParameterInfo[] parameters, ControlJson.Envelope envelope) =>
        parameters.Where(p => !p.HasDefaultValue).Select(JsonName).FirstOrDefault(name => !envelope.Fields.Contains(name));

    static string JsonName(ParameterInfo p) => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name!);

    // "$.holder.device_id" → "holder"; "$['!a:hs']" stays whole.
    static string? FirstSegment(string? path)
    {
        if (path is null || !path.StartsWith("$.", StringComparison.Ordinal)) return null;
        var rest = path[2..];
        var end = rest.IndexOfAny(['.', '[']);
        return end < 0 ? rest : rest[..end];
    }

    static string Expected(Type? type) => type switch
    {
        null => "valid",
        _ when type == typeof(long) || type == typeof(int) || type == typeof(long?) => "an integer",
        _ when type == typeof(string) => "a string",
        _ when type == typeof(DeviceRef) => "an object with user_id and device_id",
        _ when type == typeof(IReadOnlyDictionary<string, ushort>) => "an object of room id → channel (a u16)",
        _ when type == typeof(IReadOnlyList<string>) => "an array of strings",
        _ when type == typeof(FloorPriority) => "a string",
        _ => $"a {type.Name}",
    };
}
