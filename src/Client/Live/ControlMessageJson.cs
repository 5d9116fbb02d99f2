using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WalkieTalkie.Client.Matrix;
using WalkieTalkie.Client.Walkie;

namespace WalkieTalkie.Client.Live;

/// <summary>
/// JSON of the stream's text frames, both directions (the server direction is here too so fake servers in tests and
/// tools speak exactly what the client reads). Reading is tolerant: unknown fields are ignored, unknown types and
/// unreadable messages become <see cref="ServerMessage.Unknown"/> rather than exceptions.
/// </summary>
public static class ControlMessageJson
{
    public static ServerMessage ParseServer(ReadOnlySpan<byte> utf8)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(utf8) as JsonObject ?? throw new InvalidDataException("not a JSON object");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            return new ServerMessage.Unknown("", Encoding.UTF8.GetString(utf8), $"Unreadable control message: {e.Message}");
        }
        string type = o.String("type") ?? "";
        try
        {
            return type switch
            {
                ControlTypes.Subscribed => new ServerMessage.Subscribed(ParseChannels(o)),
                ControlTypes.FloorGranted => new ServerMessage.FloorGranted(Room(o), o.RequireLong("epoch", type), o.RequireLong("expires_ts", type)),
                ControlTypes.FloorQueued => new ServerMessage.FloorQueued(Room(o), (int)o.RequireLong("position", type)),
                ControlTypes.FloorDenied => new ServerMessage.FloorDenied(Room(o), o.String("errcode"), o.String("reason"), o.Device("holder")),
                ControlTypes.FloorTaken => new ServerMessage.FloorTaken(Room(o),
                    o.Device("holder") ?? throw new InvalidDataException($"{type}: \"holder\" needs user_id and device_id."),
                    o.RequireLong("epoch", type)),
                ControlTypes.FloorIdle => new ServerMessage.FloorIdle(Room(o), o.String("reason") ?? "", o.Long("epoch")),
                ControlTypes.FloorRevoked => new ServerMessage.FloorRevoked(Room(o), o.String("reason") ?? "", o.Long("epoch")),
                ControlTypes.Error => new ServerMessage.StreamError(o.String("errcode") ?? MatrixErrorCodes.Unknown, o.String("error") ?? "", o.String("room_id")),
                ControlTypes.Pong => new ServerMessage.Pong(),
                _ => new ServerMessage.Unknown(type, o.ToJsonString(), null),
            };
        }
        catch (InvalidDataException e)
        {
            return new ServerMessage.Unknown(type, o.ToJsonString(), e.Message);
        }
    }

    public static ServerMessage ParseServer(string json) => ParseServer(Encoding.UTF8.GetBytes(json));

    /// <exception cref="InvalidDataException">Not a client message this protocol knows.</exception>
    public static ClientMessage ParseClient(ReadOnlySpan<byte> utf8)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(utf8) as JsonObject ?? throw new InvalidDataException("A control message is a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Unreadable control message: {e.Message}", e);
        }
        string type = o.String("type") ?? throw new InvalidDataException("A control message needs a string \"type\".");
        return type switch
        {
            ControlTypes.Subscribe => new ClientMessage.Subscribe(
                (o["rooms"] as JsonArray ?? throw new InvalidDataException("subscribe: \"rooms\" must be an array."))
                .Select(r => r is JsonValue v && v.TryGetValue(out string? s) ? s : throw new InvalidDataException("subscribe: rooms are strings."))
                .ToList()),
            ControlTypes.FloorRequest => new ClientMessage.FloorRequest(Room(o), FloorPriorityWire.Parse(o.String("priority"))),
            ControlTypes.FloorRelease => new ClientMessage.FloorRelease(Room(o), o.RequireLong("epoch", type)),
            ControlTypes.Ping => new ClientMessage.Ping(),
            _ => throw new InvalidDataException($"Unknown client message type \"{type}\"."),
        };
    }

    public static byte[] Serialize(ClientMessage message) => Write(w =>
    {
        w.WriteString("type", message.Type);
        switch (message)
        {
            case ClientMessage.Subscribe m:
                w.WriteStartArray("rooms");
                foreach (string room in m.Rooms) w.WriteStringValue(room);
                w.WriteEndArray();
                break;
            case ClientMessage.FloorRequest m:
                w.WriteString("room_id", m.RoomId);
                w.WriteString("priority", m.Priority.ToWire());
                break;
            case ClientMessage.FloorRelease m:
                w.WriteString("room_id", m.RoomId);
                w.WriteNumber("epoch", m.Epoch);
                break;
            case ClientMessage.Ping:
                break;
            default:
                throw new ArgumentException($"Cannot serialise {message.GetType().Name}.", nameof(message));
        }
    });

    public static byte[] Serialize(ServerMessage message) => Write(w =>
    {
        w.WriteString("type", message.Type);
        switch (message)
        {
            case ServerMessage.Subscribed m:
                w.WriteStartObject("channels");
                foreach (var (room, channel) in m.Channels) w.WriteNumber(room, channel);
                w.WriteEndObject();
                break;
            case ServerMessage.FloorGranted m:
                w.WriteString("room_id", m.RoomId);
                w.WriteNumber("epoch", m.Epoch);
                w.WriteNumber("expires_ts", m.ExpiresTs);
                break;
            case ServerMessage.FloorQueued m:
                w.WriteString("room_id", m.RoomId);
                w.WriteNumber("position", m.Position);
                break;
            case ServerMessage.FloorDenied m:
                w.WriteString("room_id", m.RoomId);
                if (m.Errcode is not null) w.WriteString("errcode", m.Errcode);
                if (m.Reason is not null) w.WriteString("reason", m.Reason);
                if (m.Holder is not null) WriteDevice(w, "holder", m.Holder);
                break;
            case ServerMessage.FloorTaken m:
                w.WriteString("room_id", m.RoomId);
                WriteDevice(w, "holder", m.Holder);
                w.WriteNumber("epoch", m.Epoch);
                break;
            case ServerMessage.FloorIdle m:
                w.WriteString("room_id", m.RoomId);
                w.WriteString("reason", m.Reason);
                if (m.Epoch is { } ie) w.WriteNumber("epoch", ie);
                break;
            case ServerMessage.FloorRevoked m:
                w.WriteString("room_id", m.RoomId);
                w.WriteString("reason", m.Reason);
                if (m.Epoch is { } re) w.WriteNumber("epoch", re);
                break;
            case ServerMessage.StreamError m:
                w.WriteString("errcode", m.Errcode);
                w.WriteString("error", m.Error);
                if (m.RoomId is not null) w.WriteString("room_id", m.RoomId);
                break;
            case ServerMessage.Pong:
                break;
            default:
                throw new ArgumentException($"{message.GetType().Name} is not a wire message.", nameof(message));
        }
    });

    private static IReadOnlyDictionary<string, ushort> ParseChannels(JsonObject o)
    {
        if (o["channels"] is not JsonObject channels)
            throw new InvalidDataException("subscribed: \"channels\" must be an object of room → channel.");
        var map = new Dictionary<string, ushort>(StringComparer.Ordinal);
        foreach (var (room, value) in channels)
        {
            if (value is not JsonValue v || !v.TryGetValue(out long channel) || channel is < 0 or > ushort.MaxValue)
                throw new InvalidDataException($"subscribed: the channel of {room} is not a u16.");
            map[room] = (ushort)channel;
        }
        return map;
    }

    private static string Room(JsonObject o) => o.String("room_id") ?? throw new InvalidDataException($"{o.String("type")}: \"room_id\" is missing.");

    private static void WriteDevice(Utf8JsonWriter w, string name, DeviceRef device)
    {
        w.WriteStartObject(name);
        w.WriteString("user_id", device.UserId);
        w.WriteString("device_id", device.DeviceId);
        w.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
