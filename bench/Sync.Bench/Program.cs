using System.Diagnostics;
using System.Text.Json.Nodes;
using WalkieTalkie.Bench;

// Send → other client's /sync latency over real HTTP against a real server and PostgreSQL, beside a baseline
// measured in the same run: a bare HTTP round trip to /versions on the same server.
var sends = args.Length > 0 ? int.Parse(args[0]) : 1000;
// Durable settings (fsync on): the figures include real commits.
await using var postgres = await BenchPostgres.StartAsync(durable: true);
var (app, baseAddress) = await BenchServer.StartAsync(postgres.ConnectionString);

var alice = await MatrixClient.RegisterAsync(new HttpClient { BaseAddress = baseAddress }, "alice");
var bob = await MatrixClient.RegisterAsync(new HttpClient { BaseAddress = baseAddress }, "bob");
var room = (await alice.PostAsync("/_matrix/client/v3/createRoom", new { invite = new[] { bob.UserId } }))["room_id"]!.GetValue<string>();
await bob.PostAsync($"/_matrix/client/v3/join/{Uri.EscapeDataString(room)}", new { });
var since = (await bob.GetAsync("/_matrix/client/v3/sync?timeout=0"))["next_batch"]!.GetValue<string>();

// Warm-up: JIT, connection pools, Marten's generated code.
for (var i = 0; i < 50; i++) since = await SendAndAwait(alice, bob, room, since, $"warm {i}");

var baseline = new List<double>();
for (var i = 0; i < sends; i++)
{
    var start = Stopwatch.GetTimestamp();
    await bob.GetAsync("/_matrix/client/versions");
    baseline.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
}

var latencies = new List<double>();
var total = Stopwatch.StartNew();
for (var i = 0; i < sends; i++)
{
    var start = Stopwatch.GetTimestamp();
    since = await SendAndAwait(alice, bob, room, since, $"message {i}");
    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
}
total.Stop();

Console.WriteLine($"machine: {Machine.Describe()}; PostgreSQL fsync={await postgres.ShowAsync("fsync")}; {sends} sends");
Console.WriteLine($"{"measurement",-44} {"p50 ms",8} {"p99 ms",8} {"max ms",8}");
Print("baseline: GET /_matrix/client/versions", Percentiles.Of(baseline));
Print("send → other client's long-poll /sync", Percentiles.Of(latencies));
Console.WriteLine($"throughput (sequential send+deliver): {sends / total.Elapsed.TotalSeconds:F0}/s");
await app.StopAsync();

static async Task<string> SendAndAwait(MatrixClient alice, MatrixClient bob, string room, string since, string text)
{
    // Bob is already waiting in a long poll when Alice sends, as a live client would be.
    var poll = bob.GetAsync($"/_matrix/client/v3/sync?timeout=30000&since={Uri.EscapeDataString(since)}");
    await Task.Yield();
    var sent = await alice.PutAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(room)}/send/m.room.message/{Guid.NewGuid():N}",
        new { msgtype = "m.text", body = text });
    var eventId = sent["event_id"]!.GetValue<string>();
    while (true)
    {
        var sync = await poll;
        since = sync["next_batch"]!.GetValue<string>();
        var timeline = sync["rooms"]?["join"]?[room]?["timeline"]?["events"]?.AsArray();
        if (timeline?.Any(e => e!["event_id"]!.GetValue<string>() == eventId) == true) return since;
        poll = bob.GetAsync($"/_matrix/client/v3/sync?timeout=30000&since={Uri.EscapeDataString(since)}");
    }
}

static void Print(string name, Percentiles p) => Console.WriteLine($"{name,-44} {p.P50,8:F2} {p.P99,8:F2} {p.Max,8:F2}");
