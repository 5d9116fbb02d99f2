namespace WalkieTalkie.Server.IntegrationTests.Foundation;

/// <summary>
/// The server survives a PostgreSQL restart without being restarted: meanwhile every request answers 503 M_UNKNOWN
/// with Retry-After (never a hang), and once PostgreSQL is back the same process serves requests again.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_postgres_restarts
{
    [Fact]
    public async Task requests_answer_503_while_it_is_down_and_succeed_once_it_is_back()
    {
        await using var postgres = await RestartablePostgres.StartAsync();
        await using var host = await WalkieHost.StartAsync(postgres.ConnectionString);
        var alice = await MatrixTestClient.RegisterAsync(host);
        var room = await alice.CreateRoomAsync();
        await alice.SendTextAsync(room, "before");

        postgres.Stop();
        // The clients' 60 s timeout is a bound, not a timing assertion: a hang fails instead of blocking the run.
        using var anonymous = host.CreateClient();
        var during = new (string What, Func<Task<HttpResponseMessage>> Ask)[]
        {
            ("whoami", () => alice.Http.GetAsync("/_matrix/client/v3/account/whoami")),
            ("send", () => alice.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/send/m.room.message/t2", new { msgtype = "m.text", body = "during" })),
            ("createRoom", () => alice.Http.PostAsJsonAsync("/_matrix/client/v3/createRoom", new { })),
            ("register", () => anonymous.PostAsJsonAsync("/_matrix/client/v3/register", new { username = "during", password = "x" })),
            ("profile", () => anonymous.GetAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}")),
        };
        foreach (var (what, ask) in during)
        {
            using var response = await ask();
            var body = await response.ShouldBeMatrixError(HttpStatusCode.ServiceUnavailable, "M_UNKNOWN");
            Assert.True(response.Headers.RetryAfter is not null, $"{what}: 503 without Retry-After: {body}");
        }

        await postgres.StartAgainAsync();
        await EventuallySucceedsAsync(() => alice.Http.GetAsync("/_matrix/client/v3/account/whoami"));
        await alice.SendTextAsync(room, "after");
        var bob = await MatrixTestClient.RegisterAsync(host);
        var other = await bob.CreateRoomAsync();
        await bob.SendTextAsync(other, "fresh");
        var sync = await alice.SyncAsync();
        var texts = sync.TimelineOf(room).Select(e => e["content"]?["body"]?.GetValue<string>()).ToList();
        Assert.Contains("before", texts);
        Assert.Contains("after", texts);
        Assert.DoesNotContain("during", texts);
        // Wolverine handlers (profile change cascades) run again too.
        await alice.PutJsonAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}/displayname", new { displayname = "Back" });
        Assert.Equal("Back", (await alice.GetJsonAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}"))["displayname"]!.GetValue<string>());
    }

    /// <summary>The pool drops connections broken by the restart; a few requests may still meet one.</summary>
    static async Task EventuallySucceedsAsync(Func<Task<HttpResponseMessage>> ask)
    {
        var statuses = new List<int>();
        for (var attempt = 0; attempt < 60; attempt++)
        {
            using var response = await ask();
            if (response.IsSuccessStatusCode) return;
            statuses.Add((int)response.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            await Task.Delay(500);
        }
        Assert.Fail("no success after PostgreSQL came back: " + string.Join(",", statuses));
    }
}
