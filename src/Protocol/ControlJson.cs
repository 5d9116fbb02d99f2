using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace WalkieTalkie.Protocol;

/// <summary>
/// The one serializer of the stream's text frames, both directions (server, client library, fake servers in tests and
/// benches speak exactly the same JSON). Reading server messages is tolerant: unknown fields are ignored, unknown types
/// and unreadable messages become <see cref="ServerMessage.Unknown"/>. Reading client messages is strict: what cannot be
/// read throws <see cref="ControlMessageException"/> with the Matrix error to answer.
/// </summary>
public static class ControlJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    static readonly Dictionary<string, Type> ServerTypes = new()
    {
        [ControlTypes.Subscribed] = typeof(ServerMessage.Subscribed),
        [ControlTypes.FloorGranted] = typeof(ServerMessage.FloorGranted),
        [ControlTypes.FloorQueued] = typeof(ServerMessage.FloorQueued),
        [ControlTypes.FloorDenied] = typeof(ServerMessage.FloorDenied),
        [ControlTypes.FloorTaken] = typeof(ServerMessage.FloorTaken),
        [ControlTypes.FloorIdle] = typeof(ServerMessage.FloorIdle),
        [ControlTypes.FloorRevoked] = typeof(ServerMessage.FloorRevoked),
        [ControlTypes.Error] = typeof(ServerMessage.StreamError),
        [ControlTypes.Pong] = typeof(ServerMessage.Pong),
    };

    static readonly Dictionary<string, Type> ClientTypes = new()
    {
        [ControlTypes.Subscribe] = typeof(ClientMessage.Subscribe),
        [ControlTypes.FloorRequest] = typeof(ClientMessage.FloorRequest),
        [ControlTypes.FloorRelease] = typeof(ClientMessage.FloorRelease),
        [ControlTypes.Ping] = typeof(ClientMessage.Ping),
    };

    public static byte[] Serialize(ServerMessage message) => message switch
    {
        ServerMessage.Unknown or ServerMessage.Disconnected => throw new ArgumentException($"{message.GetType().Name} is not a wire message.", nameof(message)),
        _ => JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), Options),
    };

    public static byte[] Serialize(ClientMessage message) => JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), Options);

    public static ServerMessage ParseServer(string json) => ParseServer(Encoding.UTF8.GetBytes(json));

    public static ServerMessage ParseServer(ReadOnlySpan<byte> utf8)
    {
        Envelope envelope;
        try { envelope = Envelope.Read(utf8); }
        catch (ControlMessageException e) { return new ServerMessage.Unknown("", Encoding.UTF8.GetString(utf8), e.Message); }
        var type = envelope.Type ?? "";
        if (!ServerTypes.TryGetValue(type, out var target)) return new ServerMessage.Unknown(type, Encoding.UTF8.GetString(utf8), null);
        try { return (ServerMessage)JsonSerializer.Deserialize(utf8, target, Options)!; }
        catch (Exception e) when (e is JsonException or ControlMessageException)
        {
            return new ServerMessage.Unknown(type, Encoding.UTF8.GetString(utf8), ControlJsonProblem.Describe(type, target, envelope, e));
        }
    }

    /// <exception cref="ControlMessageException">Not a client message this protocol knows, with the errcode to answer.</exception>
    public static ClientMessage ParseClient(ReadOnlySpan<byte> utf8)
    {
        var envelope = Envelope.Read(utf8);
        var type = envelope.Type ?? throw new ControlMessageException(ProtocolErrors.BadJson, "A control message needs a string \"type\".");
        if (!ClientTypes.TryGetValue(type, out var target))
            throw new ControlMessageException(ProtocolErrors.Unrecognized, $"Unknown message type \"{type}\"") { Type = type, RoomId = envelope.RoomId };
        try { return (ClientMessage)JsonSerializer.Deserialize(utf8, target, Options)!; }
        catch (Exception e) when (e is JsonException or ControlMessageException)
        {
            var errcode = e is ControlMessageException c ? c.Errcode : ProtocolErrors.BadJson;
            throw new ControlMessageException(errcode, ControlJsonProblem.Describe(type, target, envelope, e), e) { Type = type, RoomId = envelope.RoomId };
        }
    }

    /// <summary>What is read before the message itself: that it is a JSON object, its <c>type</c>, <c>room_id</c> and field names.</summary>
    internal sealed record Envelope(string? Type, string? RoomId, HashSet<string> Fields)
    {
        public static Envelope Read(ReadOnlySpan<byte> utf8)
        {
            var reader = new Utf8JsonReader(utf8);
            string? type = null, roomId = null;
            var fields = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                    throw new ControlMessageException(ProtocolErrors.NotJson, "Control messages are JSON objects: this is not a JSON object.");
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString()!;
                    fields.Add(name);
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && name == "type") type = reader.GetString();
                    else if (reader.TokenType == JsonTokenType.String && name == "room_id") roomId = reader.GetString();
                    else reader.Skip();
                }
                while (reader.Read()) { } // the rest must be well-formed too (trailing content throws)
            }
            catch (JsonException e)
            {
                throw new ControlMessageException(ProtocolErrors.NotJson, $"Unreadable control message: {e.Message}", e);
            }
            return new Envelope(type, roomId, fields);
        }
    }
}
