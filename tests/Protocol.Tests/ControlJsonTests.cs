using System.Net.WebSockets;

namespace WalkieTalkie.Protocol.Tests;

/// <summary>Every control message of MSC4002's stream, as the wire contract spells it.</summary>
public class ControlJsonTests
{
    private static readonly DeviceRef Alice = new("@alice:hs", "ALICEPHONE");

    public static TheoryData<string, ServerMessage> ServerMessages => new()
    {
        { """{"type":"subscribed","channels":{"!a:hs":1,"!b:hs":65535}}""", new ServerMessage.Subscribed(new Dictionary<string, ushort> { ["!a:hs"] = 1, ["!b:hs"] = 65535 }) },
        { """{"type":"floor.granted","room_id":"!a:hs","epoch":17,"expires_ts":1764000030000}""", new ServerMessage.FloorGranted("!a:hs", 17, 1764000030000) },
        { """{"type":"floor.queued","room_id":"!a:hs","position":2}""", new ServerMessage.FloorQueued("!a:hs", 2) },
        { """{"type":"floor.denied","room_id":"!a:hs","errcode":"ORG.MATRIX.MSC4002_FLOOR_TAKEN","reason":"taken","holder":{"user_id":"@alice:hs","device_id":"ALICEPHONE"}}""",
            new ServerMessage.FloorDenied("!a:hs", "ORG.MATRIX.MSC4002_FLOOR_TAKEN", "taken", Alice) },
        { """{"type":"floor.denied","room_id":"!a:hs","errcode":"M_FORBIDDEN","reason":"no consent"}""", new ServerMessage.FloorDenied("!a:hs", "M_FORBIDDEN", "no consent", null) },
        { """{"type":"floor.taken","room_id":"!a:hs","holder":{"user_id":"@alice:hs","device_id":"ALICEPHONE"},"epoch":18}""", new ServerMessage.FloorTaken("!a:hs", Alice, 18) },
        { """{"type":"floor.taken","room_id":"!a:hs","holder":{"user_id":"@alice:hs","device_id":"ALICEPHONE"},"epoch":19,"emergency":true}""", new ServerMessage.FloorTaken("!a:hs", Alice, 19, true) },
        { """{"type":"floor.idle","room_id":"!a:hs","reason":"end_of_media"}""", new ServerMessage.FloorIdle("!a:hs", "end_of_media", null) },
        { """{"type":"floor.idle","room_id":"!a:hs","reason":"released","epoch":18}""", new ServerMessage.FloorIdle("!a:hs", "released", 18) },
        { """{"type":"floor.revoked","room_id":"!a:hs","reason":"preempted"}""", new ServerMessage.FloorRevoked("!a:hs", "preempted", null) },
        { """{"type":"floor.revoked","room_id":"!a:hs","reason":"max_talk_time","epoch":18}""", new ServerMessage.FloorRevoked("!a:hs", "max_talk_time", 18) },
        { """{"type":"error","errcode":"M_BAD_JSON","error":"too many invalid frames"}""", new ServerMessage.StreamError("M_BAD_JSON", "too many invalid frames", null) },
        { """{"type":"pong"}""", new ServerMessage.Pong() },
    };

    [Theory]
    [MemberData(nameof(ServerMessages))]
    public void Server_messages_parse_to_their_types_and_serialise_back_to_the_same_json(string json, ServerMessage expected)
    {
        var parsed = ControlJson.ParseServer(json);
        Assert.Equal(expected.GetType(), parsed.GetType());
        Assert.Equal(expected.Type, parsed.Type);
        if (expected is ServerMessage.Subscribed s)
            Assert.Equal(s.Channels, ((ServerMessage.Subscribed)parsed).Channels);
        else
            Assert.Equal(expected, parsed);
        Assert.Equal(json, System.Text.Encoding.UTF8.GetString(ControlJson.Serialize(parsed)));
    }

    [Fact]
    public void Unknown_fields_are_ignored_and_unknown_types_are_kept_not_thrown()
    {
        var granted = ControlJson.ParseServer("""{"epoch":3,"type":"floor.granted","room_id":"!a:hs","expires_ts":5,"extra":{"x":[1]}}""");
        Assert.Equal(new ServerMessage.FloorGranted("!a:hs", 3, 5), granted);

        var future = Assert.IsType<ServerMessage.Unknown>(ControlJson.ParseServer("""{"type":"floor.future","room_id":"!a:hs"}"""));
        Assert.Equal(("floor.future", null), (future.MessageType, future.Problem));
    }

    [Theory]
    [InlineData("""not json""", "Unreadable")]
    [InlineData("""[1,2]""", "not a JSON object")]
    [InlineData("""{"type":"floor.granted","room_id":"!a:hs","expires_ts":5}""", "\"epoch\" is missing")]
    [InlineData("""{"type":"floor.granted","room_id":"!a:hs","epoch":"3","expires_ts":5}""", "\"epoch\" is missing or not an integer")]
    [InlineData("""{"type":"floor.taken","room_id":"!a:hs","epoch":3,"holder":{"user_id":"@a:hs"}}""", "holder")]
    [InlineData("""{"type":"floor.queued","position":1}""", "room_id")]
    [InlineData("""{"type":"subscribed","channels":{"!a:hs":70000}}""", "u16")]
    [InlineData("""{"type":"subscribed","channels":[1]}""", "channels")]
    public void Malformed_server_messages_become_unknown_with_the_problem(string json, string problem)
    {
        var unknown = Assert.IsType<ServerMessage.Unknown>(ControlJson.ParseServer(json));
        Assert.Contains(problem, unknown.Problem);
    }

    [Fact]
    public void Client_messages_serialise_exactly_as_the_contract_names_them()
    {
        Assert.Equal("""{"type":"subscribe","rooms":["!a:hs","!b:hs"]}""", Json(new ClientMessage.Subscribe(["!a:hs", "!b:hs"])));
        Assert.Equal("""{"type":"floor.request","room_id":"!a:hs","priority":"normal"}""", Json(new ClientMessage.FloorRequest("!a:hs", FloorPriority.Normal)));
        Assert.Equal("""{"type":"floor.request","room_id":"!a:hs","priority":"preempt"}""", Json(new ClientMessage.FloorRequest("!a:hs", FloorPriority.Preempt)));
        Assert.Equal("""{"type":"floor.release","room_id":"!a:hs","epoch":17}""", Json(new ClientMessage.FloorRelease("!a:hs", 17)));
        Assert.Equal("""{"type":"ping"}""", Json(new ClientMessage.Ping()));

        static string Json(ClientMessage m) => System.Text.Encoding.UTF8.GetString(ControlJson.Serialize(m));
    }

    [Fact]
    public void Client_messages_parse_back_and_bad_ones_are_refused()
    {
        var subscribe = Assert.IsType<ClientMessage.Subscribe>(ControlJson.ParseClient("""{"type":"subscribe","rooms":["!a:hs"]}"""u8));
        Assert.Equal(["!a:hs"], subscribe.Rooms);
        Assert.Equal(new ClientMessage.FloorRequest("!a:hs", FloorPriority.Normal), ControlJson.ParseClient("""{"type":"floor.request","room_id":"!a:hs"}"""u8));
        Assert.Throws<ControlMessageException>(() => ControlJson.ParseClient("""{"type":"floor.request","room_id":"!a:hs","priority":"urgent"}"""u8));
        Assert.Throws<ControlMessageException>(() => ControlJson.ParseClient("""{"type":"subscribe","rooms":"!a:hs"}"""u8));
        Assert.Throws<ControlMessageException>(() => ControlJson.ParseClient("""{"rooms":[]}"""u8));
        Assert.Throws<ControlMessageException>(() => ControlJson.ParseClient("""{"type":"dance"}"""u8));
    }

    [Fact]
    public void The_disconnect_marker_is_not_a_wire_message()
    {
        Assert.Throws<ArgumentException>(() => ControlJson.Serialize(new ServerMessage.Disconnected(WebSocketCloseStatus.PolicyViolation, "bye", null)));
        Assert.Equal("!a:hs", new ServerMessage.FloorRevoked("!a:hs", "preempted", null).Room);
    }

    [Fact]
    public void Emergency_is_a_wire_priority_and_bad_client_messages_carry_the_matrix_error_to_answer()
    {
        Assert.Equal("""{"type":"floor.request","room_id":"!a:hs","priority":"emergency"}""",
            System.Text.Encoding.UTF8.GetString(ControlJson.Serialize(new ClientMessage.FloorRequest("!a:hs", FloorPriority.Emergency))));
        Assert.Equal(new ClientMessage.FloorRequest("!a:hs", FloorPriority.Emergency),
            ControlJson.ParseClient("""{"type":"floor.request","room_id":"!a:hs","priority":"emergency"}"""u8));

        var urgent = Assert.Throws<ControlMessageException>(() => ControlJson.ParseClient("""{"type":"floor.request","room_id":"!a:hs","priority":"urgent"}"""u8));
        Assert.Equal((ProtocolErrors.InvalidParam, ControlTypes.FloorRequest, "!a:hs"), (urgent.Errcode, urgent.Type, urgent.RoomId));
        var number = Assert.Throws<ControlMessageException>(() => ControlJson.ParseClient("""{"type":"floor.request","room_id":"!a:hs","priority":1}"""u8));
        Assert.Equal(ProtocolErrors.BadJson, number.Errcode);
        var noEpoch = Assert.Throws<ControlMessageException>(() => ControlJson.ParseClient("""{"room_id":"!a:hs","type":"floor.release"}"""u8));
        Assert.Equal(ProtocolErrors.BadJson, noEpoch.Errcode);
        Assert.Contains("\"epoch\" is missing or not an integer", noEpoch.Message);
        var dance = Assert.Throws<ControlMessageException>(() => ControlJson.ParseClient("""{"type":"dance","room_id":"!b:hs"}"""u8));
        Assert.Equal((ProtocolErrors.Unrecognized, "!b:hs"), (dance.Errcode, dance.RoomId));
        Assert.Equal(ProtocolErrors.NotJson, Assert.Throws<ControlMessageException>(() => ControlJson.ParseClient("""[1]"""u8)).Errcode);
        Assert.Equal(ProtocolErrors.NotJson, Assert.Throws<ControlMessageException>(() => ControlJson.ParseClient("""{"type":"ping"} x"""u8)).Errcode);
    }
}
