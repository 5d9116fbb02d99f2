using System.Net.WebSockets;
using WalkieTalkie.Client.Matrix;
using WalkieTalkie.Client.Walkie;

namespace WalkieTalkie.Client.Live;

/// <summary>The <c>type</c> strings of the stream's JSON control messages.</summary>
public static class ControlTypes
{
    public const string Subscribe = "subscribe";
    public const string Subscribed = "subscribed";
    public const string FloorRequest = "floor.request";
    public const string FloorRelease = "floor.release";
    public const string Ping = "ping";
    public const string Pong = "pong";
    public const string FloorGranted = "floor.granted";
    public const string FloorQueued = "floor.queued";
    public const string FloorDenied = "floor.denied";
    public const string FloorTaken = "floor.taken";
    public const string FloorIdle = "floor.idle";
    public const string FloorRevoked = "floor.revoked";
    public const string Error = "error";
}

/// <summary>A control message the server sends over the stream (plus <see cref="Disconnected"/>, which the client makes up when the socket ends).</summary>
public abstract record ServerMessage(string Type)
{
    /// <summary>Answer to <c>subscribe</c>: this connection's channel number per room.</summary>
    public sealed record Subscribed(IReadOnlyDictionary<string, ushort> Channels) : ServerMessage(ControlTypes.Subscribed);

    /// <summary>This device holds the floor of <see cref="RoomId"/> with <see cref="Epoch"/> until <see cref="ExpiresTs"/>.</summary>
    public sealed record FloorGranted(string RoomId, long Epoch, long ExpiresTs) : ServerMessage(ControlTypes.FloorGranted);

    public sealed record FloorQueued(string RoomId, int Position) : ServerMessage(ControlTypes.FloorQueued);

    /// <summary>The request was refused: <c>reason</c> <c>taken</c> (rooms without a queue), or an errcode such as M_FORBIDDEN.</summary>
    public sealed record FloorDenied(string RoomId, string? Errcode, string? Reason, DeviceRef? Holder) : ServerMessage(ControlTypes.FloorDenied);

    /// <summary>Someone holds the floor of <see cref="RoomId"/> (sent on grant, and right after <c>subscribed</c> when taken).</summary>
    public sealed record FloorTaken(string RoomId, DeviceRef Holder, long Epoch) : ServerMessage(ControlTypes.FloorTaken);

    /// <summary>The floor of <see cref="RoomId"/> is free; <see cref="Epoch"/> when the server says which grant ended.</summary>
    public sealed record FloorIdle(string RoomId, string Reason, long? Epoch) : ServerMessage(ControlTypes.FloorIdle);

    /// <summary>This device lost the floor (<c>preempted</c>, <c>max_talk_time</c>, <c>end_of_media</c>, ...): stop sending.</summary>
    public sealed record FloorRevoked(string RoomId, string Reason, long? Epoch) : ServerMessage(ControlTypes.FloorRevoked);

    public sealed record StreamError(string Errcode, string Error, string? RoomId) : ServerMessage(ControlTypes.Error);

    public sealed record Pong() : ServerMessage(ControlTypes.Pong);

    /// <summary>A message of a type this client does not know, or one it could not read (<see cref="Problem"/> says why).</summary>
    public sealed record Unknown(string MessageType, string Json, string? Problem) : ServerMessage(MessageType);

    /// <summary>Not on the wire: the connection ended (close frame, network error, or our own close).</summary>
    public sealed record Disconnected(WebSocketCloseStatus? CloseStatus, string? Description, Exception? Exception) : ServerMessage("stream.disconnected");

    /// <summary>The room this message is about, if any.</summary>
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

/// <summary>A control message the client sends over the stream.</summary>
public abstract record ClientMessage(string Type)
{
    /// <summary>The rooms this connection wants; the client always sends its whole set, so additive and replacing servers agree.</summary>
    public sealed record Subscribe(IReadOnlyList<string> Rooms) : ClientMessage(ControlTypes.Subscribe);

    public sealed record FloorRequest(string RoomId, FloorPriority Priority) : ClientMessage(ControlTypes.FloorRequest);

    public sealed record FloorRelease(string RoomId, long Epoch) : ClientMessage(ControlTypes.FloorRelease);

    public sealed record Ping() : ClientMessage(ControlTypes.Ping);
}
