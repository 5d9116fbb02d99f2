using System.Net.Sockets;
using System.Text;

namespace WalkieTalkie.Server.IntegrationTests.Hostile;

/// <summary>The inputs that once gave 500s or empty 400s (issue 14) now answer Matrix errors, and nothing is stored.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_input_is_malformed(IntegrationFixture fixture)
{
    [Fact]
    public async Task a_nul_in_a_query_value_is_M_INVALID_PARAM_and_nothing_is_uploaded()
    {
        var alice = await MatrixTestClient.RegisterAsync(fixture.Server);
        await (await alice.Http.PostAsync("/_matrix/media/v3/upload?filename=%00", new ByteArrayContent([1, 2, 3])))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
        await (await alice.Http.GetAsync("/_matrix/client/v3/rooms/!a:localhost/messages?from=a%00b"))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
    }

    [Theory]
    [InlineData("""{"displayname":"a\u0000b"}""")]
    [InlineData("""{"displayname":"\ud800"}""")]
    [InlineData("""{"displayname":"ok","extra":{"k\u0000":1}}""")]
    public async Task a_string_postgres_cannot_store_is_M_BAD_JSON(string body)
    {
        var alice = await MatrixTestClient.RegisterAsync(fixture.Server);
        var path = $"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}/displayname";
        await (await alice.Http.PutAsync(path, Json(body))).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        var room = await alice.CreateRoomAsync();
        await (await alice.Http.PutAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/send/m.room.message/t1", Json(body)))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        Assert.NotEqual("a\0b", (await alice.GetJsonAsync(path))["displayname"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("POST", "/_matrix/client/v3/join/%00")]
    [InlineData("GET", "/_matrix/client/v3/profile/%00")]
    [InlineData("POST", "/_matrix/client/v3/rooms/%00/receipt/m.read/%00")]
    [InlineData("PUT", "/_matrix/client/v3/rooms/%00/typing/%00")]
    [InlineData("POST", "/_matrix/client/v3/join/not-a-room")]
    [InlineData("POST", "/_matrix/client/r0/join/%21nocolon")]
    [InlineData("GET", "/_matrix/client/v3/profile/not-a-user")]
    [InlineData("GET", "/_matrix/client/v3/profile/%40nocolon/displayname")]
    [InlineData("GET", "/_matrix/client/v3/profile/x/avatar_url")]
    public async Task a_nul_in_the_path_or_an_id_of_the_wrong_shape_is_M_INVALID_PARAM_not_an_empty_400(string method, string path)
    {
        var alice = await MatrixTestClient.RegisterAsync(fixture.Server);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("{}") };
        await (await alice.Http.SendAsync(request)).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
    }

    [Fact]
    public async Task a_request_line_kestrel_refuses_still_gets_a_matrix_error_body()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(fixture.Server.BaseAddress.Host, fixture.Server.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync("GET /_matrix/client/v3/profile/%00 HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = await reader.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 400 ", answer);
        Assert.Contains("Content-Type: application/json", answer);
        var body = JsonNode.Parse(answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..])!;
        Assert.Equal("M_INVALID_PARAM", body["errcode"]!.GetValue<string>());
    }

    [Fact]
    public async Task deep_nesting_and_oversize_typed_bodies_are_refused()
    {
        using var http = fixture.Server.CreateClient();
        var deep = new string('[', 5000) + new string(']', 5000);
        await (await http.PostAsync("/_matrix/client/v3/login", Json("{\"a\":" + deep + "}")))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_NOT_JSON");
        var big = "{\"type\":\"m.login.password\",\"password\":\"" + new string('x', 70_000) + "\"}";
        await (await http.PostAsync("/_matrix/client/v3/login", Json(big))).ShouldBeMatrixError(HttpStatusCode.RequestEntityTooLarge, "M_TOO_LARGE");
        await (await http.PostAsync("/_matrix/client/v3/login", Json("[]"))).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        await (await http.PostAsync("/_matrix/client/v3/login", Json(""))).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_NOT_JSON");
    }

    [Fact]
    public async Task a_query_value_of_the_wrong_type_is_M_INVALID_PARAM()
    {
        var alice = await MatrixTestClient.RegisterAsync(fixture.Server);
        var room = await alice.CreateRoomAsync();
        await (await alice.Http.GetAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/messages?limit=abc"))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
    }

    static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
