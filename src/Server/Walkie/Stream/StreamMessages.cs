using System.Text.Json.Nodes;
using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>The JSON control messages the server sends on the live stream (PROTOCOL.md "Live audio").</summary>
public static class StreamMessages
{
    public static JsonObject Subscribed(IEnumerable<KeyValuePair<string, ushort>> channels)
    {
        var map = new JsonObject();
        foreach (var (room, channel) in channels) map[room] = channel;
        return new JsonObject { ["type"] = "subscribed", ["channels"] = map };
    }

    public static JsonObject Granted(string roomId, long epoch, DateTimeOffset expires) => new()
    {
        ["type"] = "floor.granted", ["room_id"] = roomId, ["epoch"] = epoch, ["expires_ts"] = expires.ToUnixTimeMilliseconds(),
    };

    public static JsonObject Queued(string roomId, int position) => new()
    {
        ["type"] = "floor.queued", ["room_id"] = roomId, ["position"] = position,
    };

    public static JsonObject Denied(string roomId, string errcode, string reason, DeviceRef? holder = null)
    {
        var message = new JsonObject { ["type"] = "floor.denied", ["room_id"] = roomId, ["errcode"] = errcode, ["reason"] = reason };
        if (holder is not null) message["holder"] = Device(holder);
        return message;
    }

    public static JsonObject Taken(string roomId, DeviceRef holder, long epoch) => new()
    {
        ["type"] = "floor.taken", ["room_id"] = roomId, ["holder"] = Device(holder), ["epoch"] = epoch,
    };

    public static JsonObject Idle(string roomId, string reason, long epoch) => new()
    {
        ["type"] = "floor.idle", ["room_id"] = roomId, ["reason"] = reason, ["epoch"] = epoch,
    };

    public static JsonObject Revoked(string roomId, string reason, long epoch) => new()
    {
        ["type"] = "floor.revoked", ["room_id"] = roomId, ["reason"] = reason, ["epoch"] = epoch,
    };

    public static JsonObject Error(string errcode, string error, string? roomId = null)
    {
        var message = new JsonObject { ["type"] = "error", ["errcode"] = errcode, ["error"] = error };
        if (roomId is not null) message["room_id"] = roomId;
        return message;
    }

    public static JsonObject Pong() => new() { ["type"] = "pong" };

    public static JsonObject Device(DeviceRef device) => new() { ["user_id"] = device.UserId, ["device_id"] = device.DeviceId };

    /// <summary>What each floor event tells whom: the device concerned, or everybody subscribed to the room.</summary>
    public static IEnumerable<StreamDelivery> For(FloorEvent e) => e switch
    {
        FloorGranted g =>
        [
            new(g.RoomId, g.Holder, null, Granted(g.RoomId, g.Epoch, g.ExpiresAt)),
            new(g.RoomId, null, g.Holder, Taken(g.RoomId, g.Holder, g.Epoch)),
        ],
        FloorQueued q => [new(q.RoomId, q.Device, null, Queued(q.RoomId, q.Position))],
        FloorDenied d => [new(d.RoomId, d.Requester, null, Denied(d.RoomId, WalkieErrors.FloorTakenCode, d.Reason.ToWire(), d.Holder))],
        FloorRevoked r => [new(r.RoomId, r.Holder, null, Revoked(r.RoomId, r.Reason.ToWire(), r.Epoch))],
        FloorIdle i => [new(i.RoomId, null, null, Idle(i.RoomId, i.Reason, i.Epoch))],
        _ => [],
    };
}

/// <summary>One control message for one device (To), or for every subscriber of the room except one device (Except).</summary>
public sealed record StreamDelivery(string RoomId, DeviceRef? To, DeviceRef? Except, JsonObject Message);
