using System.Text.Json.Serialization;

namespace WalkieTalkie.Protocol;

/// <summary>A control message a client sends over the stream.</summary>
public abstract record ClientMessage([property: JsonPropertyOrder(-1)] string Type)
{
    /// <summary>The rooms this connection wants (added to what it already has); answered with <c>subscribed</c>.</summary>
    public sealed record Subscribe(IReadOnlyList<string> Rooms) : ClientMessage(ControlTypes.Subscribe);

    public sealed record FloorRequest(string RoomId, FloorPriority Priority = FloorPriority.Normal) : ClientMessage(ControlTypes.FloorRequest);

    public sealed record FloorRelease(string RoomId, long Epoch) : ClientMessage(ControlTypes.FloorRelease);

    public sealed record Ping() : ClientMessage(ControlTypes.Ping);
}
