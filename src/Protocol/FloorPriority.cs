using System.Text.Json;
using System.Text.Json.Serialization;

namespace WalkieTalkie.Protocol;

/// <summary>The <c>priority</c> of a floor request: <c>normal</c>, <c>preempt</c> (power level) or <c>emergency</c>.</summary>
[JsonConverter(typeof(FloorPriorityConverter))]
public enum FloorPriority { Normal, Preempt, Emergency }

public static class FloorPriorityWire
{
    public const string Normal = "normal";
    public const string Preempt = "preempt";
    public const string Emergency = "emergency";

    public static string ToWire(this FloorPriority priority) => priority switch
    {
        FloorPriority.Normal => Normal,
        FloorPriority.Preempt => Preempt,
        FloorPriority.Emergency => Emergency,
        _ => throw new ArgumentOutOfRangeException(nameof(priority), priority, null),
    };

    /// <summary>An absent priority is <c>normal</c>.</summary>
    /// <exception cref="ControlMessageException">Not one of the wire names (errcode <c>M_INVALID_PARAM</c>).</exception>
    public static FloorPriority Parse(string? wire) => wire switch
    {
        null or Normal => FloorPriority.Normal,
        Preempt => FloorPriority.Preempt,
        Emergency => FloorPriority.Emergency,
        _ => throw new ControlMessageException(ProtocolErrors.InvalidParam,
            $"`priority` must be \"{Normal}\", \"{Preempt}\" or \"{Emergency}\", not \"{wire}\""),
    };
}

/// <summary>Reads and writes the wire names; an unknown name is an invalid parameter, a non-string is bad JSON.</summary>
public sealed class FloorPriorityConverter : JsonConverter<FloorPriority>
{
    public override FloorPriority Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType != JsonTokenType.String ? throw new JsonException("`priority` must be a string") : reader.GetString() switch
        {
            // Floor events stored before this converter carry the C# names; they must still replay.
            nameof(FloorPriority.Normal) => FloorPriority.Normal,
            nameof(FloorPriority.Preempt) => FloorPriority.Preempt,
            nameof(FloorPriority.Emergency) => FloorPriority.Emergency,
            var wire => FloorPriorityWire.Parse(wire),
        };

    public override void Write(Utf8JsonWriter writer, FloorPriority value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToWire());
}
