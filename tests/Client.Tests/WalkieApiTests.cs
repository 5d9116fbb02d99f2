using System.Net;
using WalkieTalkie.Client.Matrix;
using WalkieTalkie.Client.Walkie;

namespace WalkieTalkie.Client.Tests;

/// <summary>The HTTP side against a scripted server: the exact requests, and every documented answer as a typed result.</summary>
public class WalkieApiTests
{
    private const string Room = "!room:hs";
    private const string RoomPath = "/_matrix/client/unstable/org.matrix.msc4002/rooms/%21room%3Ahs";

    private static (WalkieApi, FakeHttpHandler, MatrixSession) Api(params (HttpStatusCode, string)[] answers)
    {
        var http = new FakeHttpHandler();
        foreach (var (status, body) in answers) http.Answer(status, body);
        var session = new MatrixSession(new MatrixCredentials(new Uri("http://hs.test"), "@me:hs", "DEV", "tok"), http);
        return (new WalkieApi(session), http, session);
    }

    [Fact]
    public async Task Floor_request_answers_granted_queued_or_taken_as_results()
    {
        var (api, http, session) = Api(
            (HttpStatusCode.OK, """{"result":"granted","epoch":17,"expires_ts":1764000030000}"""),
            (HttpStatusCode.OK, """{"result":"queued","position":1}"""),
            (HttpStatusCode.Conflict, """{"errcode":"ORG.MATRIX.MSC4002_FLOOR_TAKEN","error":"taken","holder":{"user_id":"@a:hs","device_id":"A"}}"""));
        using (session)
        {
            Assert.Equal(new FloorRequestResult.Granted(17, 1764000030000), await api.RequestFloorAsync(Room));
            Assert.Equal(new FloorRequestResult.Queued(1), await api.RequestFloorAsync(Room, FloorPriority.Preempt));
            Assert.Equal(new FloorRequestResult.Taken(new DeviceRef("@a:hs", "A"), "taken"), await api.RequestFloorAsync(Room));
        }
        Assert.All(http.Requests, r => Assert.Equal((HttpMethod.Post, RoomPath + "/floor/request", "Bearer tok"), (r.Method, r.PathAndQuery, r.Authorization)));
        Assert.Equal("normal", http.Requests[0].Json["priority"]!.GetValue<string>());
        Assert.Equal("preempt", http.Requests[1].Json["priority"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, """{"errcode":"M_FORBIDDEN","error":"no consent"}""", "M_FORBIDDEN")]
    [InlineData(HttpStatusCode.Forbidden, """{"errcode":"ORG.MATRIX.MSC4002_NOT_ENABLED","error":"off"}""", "ORG.MATRIX.MSC4002_NOT_ENABLED")]
    [InlineData(HttpStatusCode.Conflict, """{"errcode":"M_UNKNOWN","error":"other conflict"}""", "M_UNKNOWN")]
    [InlineData(HttpStatusCode.BadGateway, """<html>bad gateway</html>""", "M_UNKNOWN")]
    public async Task Other_answers_are_matrix_errors_with_errcode_and_status(HttpStatusCode status, string body, string errcode)
    {
        var (api, _, session) = Api((status, body));
        using (session)
        {
            var e = await Assert.ThrowsAsync<MatrixApiException>(() => api.RequestFloorAsync(Room));
            Assert.Equal((errcode, status), (e.Errcode, e.Status));
            Assert.False(string.IsNullOrEmpty(e.Error));
        }
    }

    [Fact]
    public async Task Consent_release_and_floor_state_use_the_contract_paths_and_bodies()
    {
        var (api, http, session) = Api(
            (HttpStatusCode.OK, """{"device_id":"DEV","expires_ts":1764003600000}"""),
            (HttpStatusCode.OK, """{"device_id":"DEV","expires_ts":null}"""),
            (HttpStatusCode.OK, "{}"),
            (HttpStatusCode.OK, "{}"),
            (HttpStatusCode.OK, """{"state":"taken","holder":{"user_id":"@a:hs","device_id":"A"},"epoch":17,"granted_ts":1,"expires_ts":30001,"queue":[{"user_id":"@b:hs","device_id":"B"}]}"""),
            (HttpStatusCode.OK, """{"state":"idle","epoch":17,"queue":[]}"""));
        using (session)
        {
            Assert.Equal(new ConsentGrant("DEV", 1764003600000), await api.GiveConsentAsync(Room, TimeSpan.FromHours(1)));
            Assert.Equal(new ConsentGrant("DEV", null), await api.GiveConsentAsync(Room));
            await api.WithdrawConsentAsync(Room);
            await api.ReleaseFloorAsync(Room, 17);
            var taken = await api.GetFloorAsync(Room);
            var idle = await api.GetFloorAsync(Room);

            Assert.Equal((FloorState.Taken, new DeviceRef("@a:hs", "A"), 17L, 1L, 30001L), (taken.State, taken.Holder, taken.Epoch, taken.GrantedTs, taken.ExpiresTs));
            Assert.Equal([new DeviceRef("@b:hs", "B")], taken.Queue);
            Assert.Equal((FloorState.Idle, null, 17L, 0), (idle.State, idle.Holder, idle.Epoch, idle.Queue.Count));
        }
        Assert.Equal((HttpMethod.Put, RoomPath + "/consent", """{"duration_ms":3600000}"""), (http.Requests[0].Method, http.Requests[0].PathAndQuery, http.Requests[0].Body));
        Assert.Equal("{}", http.Requests[1].Body);
        Assert.Equal((HttpMethod.Delete, RoomPath + "/consent"), (http.Requests[2].Method, http.Requests[2].PathAndQuery));
        Assert.Equal((RoomPath + "/floor/release", """{"epoch":17}"""), (http.Requests[3].PathAndQuery, http.Requests[3].Body));
        Assert.Equal((HttpMethod.Get, RoomPath + "/floor"), (http.Requests[4].Method, http.Requests[4].PathAndQuery));
    }

    [Fact]
    public async Task Registration_takes_two_steps_with_m_login_dummy_and_adopts_the_new_device()
    {
        var http = new FakeHttpHandler()
            .Answer(HttpStatusCode.Unauthorized, """{"session":"uia1","flows":[{"stages":["m.login.dummy"]}],"params":{}}""")
            .Answer(HttpStatusCode.OK, """{"user_id":"@new:hs","access_token":"t2","device_id":"D2"}""")
            .Answer(HttpStatusCode.OK, """{"user_id":"@new:hs","device_id":"D2"}""");
        using var session = new MatrixSession(new Uri("http://hs.test"), null, http);

        var credentials = await session.RegisterAsync("new", "pw");
        var me = await session.WhoAmIAsync();

        Assert.Equal(new MatrixCredentials(new Uri("http://hs.test"), "@new:hs", "D2", "t2"), credentials);
        Assert.Equal(new WhoAmI("@new:hs", "D2"), me);
        Assert.Null(http.Requests[0].Authorization);
        Assert.False(http.Requests[0].Json.ContainsKey("auth"));
        Assert.Equal("m.login.dummy", http.Requests[1].Json["auth"]!["type"]!.GetValue<string>());
        Assert.Equal("uia1", http.Requests[1].Json["auth"]!["session"]!.GetValue<string>());
        Assert.Equal("Bearer t2", http.Requests[2].Authorization);
    }

    [Fact]
    public async Task A_taken_username_is_an_exception_and_calls_without_a_token_fail_early()
    {
        var http = new FakeHttpHandler()
            .Answer(HttpStatusCode.Unauthorized, """{"session":"s","flows":[]}""")
            .Answer(HttpStatusCode.BadRequest, """{"errcode":"M_USER_IN_USE","error":"User ID already taken."}""");
        using var session = new MatrixSession(new Uri("http://hs.test"), null, http);
        var e = await Assert.ThrowsAsync<MatrixApiException>(() => session.RegisterAsync("taken", "pw"));
        Assert.Equal(("M_USER_IN_USE", HttpStatusCode.BadRequest), (e.Errcode, e.Status));
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.WhoAmIAsync());
        Assert.Throws<InvalidOperationException>(() => session.Credentials);
    }

    [Fact]
    public async Task Rooms_are_created_with_walkie_talkie_on_joined_resolved_and_synced()
    {
        var http = new FakeHttpHandler()
            .Answer(HttpStatusCode.OK, """{"room_id":"!new:hs"}""")
            .Answer(HttpStatusCode.OK, """{"room_id":"!new:hs"}""")
            .Answer(HttpStatusCode.OK, """{"room_id":"!aliased:hs","servers":["hs"]}""")
            .Answer(HttpStatusCode.OK, """{"next_batch":"s2","rooms":{"join":{"!new:hs":{"timeline":{"events":[{"type":"m.room.message"}]},"ephemeral":{"events":[{"type":"org.matrix.msc4002.floor","content":{"state":"idle","epoch":3,"queue":[]}}]}}}}}""");
        using var session = new MatrixSession(new MatrixCredentials(new Uri("http://hs.test"), "@me:hs", "DEV", "tok"), http);

        string room = await session.CreateRoomAsync(new CreateRoomRequest { Name = "Ops" }.WithWalkieTalkie(new WalkieRoomConfig { Recording = "server", Queue = false }));
        Assert.Equal("!new:hs", await session.JoinAsync("#ops:hs"));
        Assert.Equal("!aliased:hs", await session.ResolveRoomAsync("#ops:hs"));
        Assert.Equal("!x:hs", await session.ResolveRoomAsync("!x:hs"));
        var sync = await session.SyncAsync("s1", TimeSpan.FromSeconds(30));

        Assert.Equal("!new:hs", room);
        var state = Assert.Single(http.Requests[0].Json["initial_state"]!.AsArray())!.AsObject();
        Assert.Equal(("org.matrix.msc4002.walkie_talkie", ""), (state["type"]!.GetValue<string>(), state["state_key"]!.GetValue<string>()));
        var config = WalkieRoomConfig.FromJson(state["content"]!.AsObject());
        Assert.Equal(new WalkieRoomConfig { Recording = "server", Queue = false }, config);
        Assert.Equal("/_matrix/client/v3/join/%23ops%3Ahs", http.Requests[1].PathAndQuery);
        Assert.Equal("/_matrix/client/v3/directory/room/%23ops%3Ahs", http.Requests[2].PathAndQuery);
        Assert.Equal("/_matrix/client/v3/sync?since=s1&timeout=30000", http.Requests[3].PathAndQuery);
        Assert.Equal("s2", sync.NextBatch);
        Assert.Equal(["!new:hs"], sync.JoinedRooms);
        Assert.Single(sync.Timeline("!new:hs"));
        var floor = FloorStatus.FromJson(Assert.Single(sync.Ephemeral("!new:hs"))["content"]!.AsObject());
        Assert.Equal((FloorState.Idle, 3L), (floor.State, floor.Epoch));
    }
}
