using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;
using WalkieTalkie.Bench;
using WalkieTalkie.LocalPostgres;

// Send → other client's /sync latency over real HTTP against real servers and PostgreSQL, beside a baseline measured
// in the same run (a bare HTTP round trip to /versions). Two homeservers, hs1.test and hs2.test, each on its own
// database, federate in this process: alice (hs1) sends, bob (hs1) and carol (hs2) wait in long polls, so every send
// gives a same-server and a cross-server sample at the same moment.
var sends = args.Length > 0 ? int.Parse(args[0]) : 1000;
// Durable settings (fsync on): the figures include real commits.
await using var postgres = await BenchPostgres.StartAsync(durable: true);
var hs2Database = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = "walkie_hs2" };
await PostgresCluster.WaitAndEnsureDatabaseAsync(hs2Database.Port, hs2Database.Database!, TimeSpan.FromSeconds(30));
int port1 = PostgresCluster.FreePort(), port2 = PostgresCluster.FreePort();
var (hs1, hs1Address) = await BenchServer.StartAsync(postgres.ConnectionString, $"--urls=http://127.0.0.1:{port1}",
    "--Matrix:ServerName=hs1.test", $"--Federation:Peers:hs2.test=http://127.0.0.1:{port2}");
var (hs2, hs2Address) = await BenchServer.StartAsync(hs2Database.ConnectionString, $"--urls=http://127.0.0.1:{port2}",
    "--Matrix:ServerName=hs2.test", $"--Federation:Peers:hs1.test=http://127.0.0.1:{port1}");

var alice = await MatrixClient.RegisterAsync(new HttpClient { BaseAddress = hs1Address }, "alice");
var bob = await MatrixClient.RegisterAsync(new HttpClient { BaseAddress = hs1Address }, "bob");
var carol = await MatrixClient.RegisterAsync(new HttpClient { BaseAddress = hs2Address }, "carol");
var room = (await alice.PostAsync("/_matrix/client/v3/createRoom", new { preset = "public_chat" }))["room_id"]!.GetValue<string>();
foreach (var member in new[] { bob, carol })
    await member.PostAsync($"/_matrix/client/v3/join/{Uri.EscapeDataString(room)}", new { });
var listeners = new[] { bob, carol };
var since = await Task.WhenAll(listeners.Select(async l => (await l.GetAsync("/_matrix/client/v3/sync?timeout=0"))["next_batch"]!.GetValue<string>()));

var eventId = "";
var sentSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

// Warm-up: JIT, connection pools, Marten's generated code, the federation queue.
for (var i = 0; i < 50; i++) await SendAndAwait($"warm {i}");

var baseline = new List<double>();
for (var i = 0; i < sends; i++)
{
    var start = Stopwatch.GetTimestamp();
    await bob.GetAsync("/_matrix/client/versions");
    baseline.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
}

var sameServer = new List<double>();
var crossServer = new List<double>();
var total = Stopwatch.StartNew();
for (var i = 0; i < sends; i++)
{
    var ms = await SendAndAwait($"message {i}");
    sameServer.Add(ms[0]);
    crossServer.Add(ms[1]);
}
total.Stop();

Console.WriteLine($"machine: {Machine.Describe()}; load {Machine.LoadAverage()}; PostgreSQL fsync={await postgres.ShowAsync("fsync")}; {sends} sends");
Console.WriteLine($"{"measurement",-52} {"p50 ms",8} {"p99 ms",8} {"max ms",8}");
Print("baseline: GET /_matrix/client/versions", Percentiles.Of(baseline));
Print("send → long-poll /sync, same server (bob on hs1)", Percentiles.Of(sameServer));
Print("send → long-poll /sync, other server (carol on hs2)", Percentiles.Of(crossServer));
Console.WriteLine($"throughput (sequential send + delivery to both): {sends / total.Elapsed.TotalSeconds:F0}/s");
await hs2.StopAsync();
await hs1.StopAsync();

// Both listeners are already waiting in a long poll when alice sends, as live clients would be.
async Task<double[]> SendAndAwait(string text)
{
    var start = Stopwatch.GetTimestamp();
    var polls = listeners.Select(AwaitAsync).ToArray();
    await Task.Yield();
    var sent = await alice.PutAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(room)}/send/m.room.message/{Guid.NewGuid():N}",
        new { msgtype = "m.text", body = text });
    eventId = sent["event_id"]!.GetValue<string>();
    sentSignal.TrySetResult();
    var done = await Task.WhenAll(polls);
    sentSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    return [.. done.Select(t => Stopwatch.GetElapsedTime(start, t).TotalMilliseconds)];
}

// Long-polls until the sent event shows in this listener's timeline; returns the timestamp it did.
async Task<long> AwaitAsync(MatrixClient listener, int index)
{
    while (true)
    {
        var sync = await listener.GetAsync($"/_matrix/client/v3/sync?timeout=30000&since={Uri.EscapeDataString(since[index])}");
        var arrived = Stopwatch.GetTimestamp();
        since[index] = sync["next_batch"]!.GetValue<string>();
        await sentSignal.Task; // the event id is known once the PUT answered; a sync before that cannot hold it
        var timeline = sync["rooms"]?["join"]?[room]?["timeline"]?["events"]?.AsArray();
        if (timeline?.Any(e => e!["event_id"]!.GetValue<string>() == eventId) == true) return arrived;
    }
}

static void Print(string name, Percentiles p) => Console.WriteLine($"{name,-52} {p.P50,8:F2} {p.P99,8:F2} {p.Max,8:F2}");
