using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Walkie.Floor;
using WalkieTalkie.Server.Walkie.Stream.Relay;
using WireDevice = WalkieTalkie.Protocol.DeviceRef;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>The control messages the server sends on the live stream, built from the floor's domain (wire types: src/Protocol).</summary>
public static class StreamMessages
{
    public static ServerMessage Subscribed(IEnumerable<KeyValuePair<string, ushort>> channels) =>
        new ServerMessage.Subscribed(new Dictionary<string, ushort>(channels, StringComparer.Ordinal));

    public static ServerMessage Granted(string roomId, long epoch, DateTimeOffset expires) =>
        new ServerMessage.FloorGranted(roomId, epoch, expires.ToUnixTimeMilliseconds());

    public static ServerMessage Queued(string roomId, int position) => new ServerMessage.FloorQueued(roomId, position);

    public static ServerMessage Denied(string roomId, string errcode, string reason, DeviceRef? holder = null) =>
        new ServerMessage.FloorDenied(roomId, errcode, reason, holder is null ? null : Wire(holder));

    public static ServerMessage Taken(string roomId, DeviceRef holder, long epoch, bool emergency) =>
        new ServerMessage.FloorTaken(roomId, Wire(holder), epoch, emergency ? true : null);

    public static ServerMessage Idle(string roomId, string reason, long epoch) => new ServerMessage.FloorIdle(roomId, reason, epoch);

    public static ServerMessage Revoked(string roomId, string reason, long epoch) => new ServerMessage.FloorRevoked(roomId, reason, epoch);

    public static ServerMessage Error(string errcode, string error, string? roomId = null) => new ServerMessage.StreamError(errcode, error, roomId);

    public static ServerMessage Pong() => new ServerMessage.Pong();

    public static WireDevice Wire(DeviceRef device) => new(device.UserId, device.DeviceId);

    public static DeviceRef? Domain(WireDevice? device) => device is null ? null : new DeviceRef(device.UserId, device.DeviceId);

    /// <summary>What each floor event tells whom: the device concerned, or everybody subscribed to the room.</summary>
    public static IEnumerable<StreamDelivery> For(FloorEvent e) => e switch
    {
        FloorGranted g =>
        [
            new(g.RoomId, g.Holder, null, Granted(g.RoomId, g.Epoch, g.ExpiresAt)),
            new(g.RoomId, null, g.Holder, Taken(g.RoomId, g.Holder, g.Epoch, g.Emergency)),
        ],
        FloorQueued q => [new(q.RoomId, q.Device, null, Queued(q.RoomId, q.Position))],
        FloorDenied d => [new(d.RoomId, d.Requester, null, Denied(d.RoomId, WalkieErrorCodes.FloorTaken, d.Reason.ToWire(), d.Holder))],
        FloorRevoked r => [new(r.RoomId, r.Holder, null, Revoked(r.RoomId, r.Reason.ToWire(), r.Epoch))],
        FloorIdle i => [new(i.RoomId, null, null, Idle(i.RoomId, i.Reason, i.Epoch))],
        _ => [],
    };
}

/// <summary>
/// One control message for one device (To), or for every subscriber of the room except one device (Except); serialized
/// once, whatever the number of connections it goes to.
/// </summary>
public sealed record StreamDelivery(string RoomId, DeviceRef? To, DeviceRef? Except, ServerMessage Message)
{
    byte[]? _utf8;
    RelayFrame? _framed;
    public byte[] Utf8 => _utf8 ??= ControlJson.Serialize(Message);
    /// <summary>The text frame, built once for every connection it goes to.</summary>
    public RelayFrame Framed => _framed ??= RelayFrame.Text(Utf8);
}
