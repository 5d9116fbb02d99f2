using System.Net.WebSockets;
using System.Text.Json.Serialization;

namespace WalkieTalkie.Protocol;

/// <summary>A control message the server sends over the stream (plus <see cref="Disconnected"/>, which a client makes up when the socket ends).</summary>
public abstract record ServerMessage([property: JsonPropertyOrder(-1)] string Type)
{
    /// <summary>Answer to <c>subscribe</c>: this connection's channel number per room.</summary>
    public sealed record Subscribed(IReadOnlyDictionary<string, ushort> Channels) : ServerMessage(ControlTypes.Subscribed);

    /// <summary>This device holds the floor of <see cref="RoomId"/> with <see cref="Epoch"/> until <see cref="ExpiresTs"/>.</summary>
    public sealed record FloorGranted(string RoomId, long Epoch, long ExpiresTs) : ServerMessage(ControlTypes.FloorGranted);

    public sealed record FloorQueued(string RoomId, int Position) : ServerMessage(ControlTypes.FloorQueued);

    /// <summary>The request was refused: <c>reason</c> <c>taken</c> (rooms without a queue), or an errcode such as M_FORBIDDEN.</summary>
    public sealed record FloorDenied(string RoomId, string? Errcode = null, string? Reason = null, DeviceRef? Holder = null)
        : ServerMessage(ControlTypes.FloorDenied);

    /// <summary>Someone holds the floor of <see cref="RoomId"/> (sent on grant, and right after <c>subscribed</c> when taken).</summary>
    /// <summary><paramref name="Emergency"/>: true for an emergency grant, absent otherwise.</summary>
    public sealed record FloorTaken(string RoomId, DeviceRef Holder, long Epoch, bool? Emergency = null) : ServerMessage(ControlTypes.FloorTaken);

    /// <summary>The floor of <see cref="RoomId"/> is free; <see cref="Epoch"/> when the server says which grant ended.</summary>
    public sealed record FloorIdle(string RoomId, string Reason = "", long? Epoch = null) : ServerMessage(ControlTypes.FloorIdle);

    /// <summary>This device lost the floor (<c>preempted</c>, <c>max_talk_time</c>, <c>end_of_media</c>, ...): stop sending.</summary>
    public sealed record FloorRevoked(string RoomId, string Reason = "", long? Epoch = null) : ServerMessage(ControlTypes.FloorRevoked);

    public sealed record StreamError(string Errcode = ProtocolErrors.Unknown, string Error = "", string? RoomId = null) : ServerMessage(ControlTypes.Error);

    public sealed record Pong() : ServerMessage(ControlTypes.Pong);

    /// <summary>A message of a type this client does not know, or one it could not read (<see cref="Problem"/> says why). Not written.</summary>
    public sealed record Unknown(string MessageType, string Json, string? Problem) : ServerMessage(MessageType);

    /// <summary>Not on the wire: the connection ended (close frame, network error, or our own close).</summary>
    public sealed record Disconnected(WebSocketCloseStatus? CloseStatus, string? Description, Exception? Exception) : ServerMessage("stream.disconnected");

    /// <summary>The room this message is about, if any.</summary>
    [JsonIgnore]
    public string? Room => this switch
    {
        FloorGranted m => m.RoomId,
        FloorQueued m => m.RoomId,
        FloorDenied m => m.RoomId,
        FloorTaken m => m.RoomId,
        FloorIdle m => m.RoomId,
        FloorRevoked m => m.RoomId,
        StreamError m => m.RoomId,
        _ => null,
    };
}
