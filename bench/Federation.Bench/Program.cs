using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Npgsql;
using WalkieTalkie.Bench;
using WalkieTalkie.LocalPostgres;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

// MSC4002 across homeservers (issue 12), two real servers (hs1.test decides the floor, hs2.test forwards), each on
// its own database, over real HTTP and WebSocket, in this process:
//  1. floor request → granted (POST …/floor/request), a device of hs1 beside a device of hs2, at 0 ms and at 1 s RTT
//     between the servers (LatencyProxy, 500 ms each way), same run;
//  2. relay latency to N listeners on hs1: a talker on hs1 beside a talker on hs2 (its frames go hs2 → hs1 once),
//     same room, same listeners, bursts alternating.
//   dotnet run -c Release --project bench/Federation.Bench -- [--listeners 100] [--grants 40] [--slow-grants 8] [--frames 250]
var listenerCount = Option("listeners", 100);
var grants = Option("grants", 40);
var slowGrants = Option("slow-grants", 8);
var frames = Option("frames", 250);
const string p = ConsentSetup.P;

Console.WriteLine($"machine: {Machine.Describe()}; load average before: {Machine.LoadAverage()}");
await using var postgres = await BenchPostgres.StartAsync(durable: true);

var grantRows = new List<(string Name, Percentiles Figures)>();
foreach (var (rtt, count) in new[] { (0, grants), (1000, slowGrants) })
{
    await using var pair = await Pair.StartAsync(postgres, $"rtt{rtt}", TimeSpan.FromMilliseconds(rtt / 2.0));
    var (room, alice, bob) = await pair.WalkieRoomAsync();
    List<double> local = [], remote = [];
    await GrantAsync(room, alice, null); // warm-up (JIT, connections, the hs2 → hs1 forward path)
    await GrantAsync(room, bob, null);
    for (var i = 0; i < count; i++)
    {
        await GrantAsync(room, alice, local);
        await GrantAsync(room, bob, remote);
    }
    grantRows.Add(($"request → granted, device on hs1 (the floor host), {rtt} ms RTT", Percentiles.Of(local)));
    grantRows.Add(($"request → granted, device on hs2 (forwarded), {rtt} ms RTT", Percentiles.Of(remote)));
    Log($"grants at {rtt} ms RTT done");
}

(Percentiles Same, long SameExpected, Percentiles Cross, long CrossExpected) relay;
await using (var pair = await Pair.StartAsync(postgres, "relay", TimeSpan.Zero))
{
    var (room, alice, bob) = await pair.WalkieRoomAsync();
    Log($"{listenerCount} consenting listeners on hs1...");
    var devices = new MatrixClient[listenerCount];
    await Parallel.ForEachAsync(Enumerable.Range(0, listenerCount), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
    {
        var device = await MatrixClient.RegisterAsync(pair.Http1, "listener");
        await device.PostAsync($"/_matrix/client/v3/join/{Uri.EscapeDataString(room)}", new { });
        await device.PutAsync($"{p}/rooms/{Uri.EscapeDataString(room)}/consent", new { });
        devices[i] = device;
    });
    var listeners = new List<LiveClient>();
    foreach (var device in devices) listeners.Add(await LiveClient.ConnectAsync(pair.Hs1, device, room, node: 0));
    await using var talker1 = await LiveClient.ConnectAsync(pair.Hs1, alice, room, node: 0);
    await using var talker2 = await LiveClient.ConnectAsync(pair.Hs2, bob, room, node: 1);

    await BurstAsync(talker1, 50); // warm-up of both paths, not counted
    await BurstAsync(talker2, 50);
    List<float> same = [], cross = [];
    long sameExpected = 0, crossExpected = 0;
    for (var round = 0; round < 2; round++)
    {
        same.AddRange(await BurstAsync(talker1, frames));
        sameExpected += (long)frames * listeners.Count;
        cross.AddRange(await BurstAsync(talker2, frames));
        crossExpected += (long)frames * listeners.Count;
    }
    relay = (Percentiles.Of(same.ToArray().AsSpan()), sameExpected, Percentiles.Of(cross.ToArray().AsSpan()), crossExpected);
    foreach (var listener in listeners) await listener.DisposeAsync();

    async Task<float[]> BurstAsync(LiveClient talker, int count)
    {
        foreach (var l in listeners) l.TakeLatencies();
        var epoch = await talker.RequestFloorAsync(room);
        await talker.TalkAsync(epoch, count);
        await Task.Delay(500); // the last frames arrive
        await talker.ReleaseFloorAsync(room, epoch);
        await Task.Delay(200);
        return listeners.SelectMany(l => l.TakeLatencies()).ToArray();
    }
}

Console.WriteLine();
Console.WriteLine($"| measurement | samples | p50 / p99 / max (ms) |");
Console.WriteLine("| --- | --- | --- |");
foreach (var (name, figures) in grantRows) Console.WriteLine($"| {name} | {figures.Count} | {figures.Format()} |");
Console.WriteLine($"| relay to {listenerCount} listeners on hs1, talker on hs1 | {relay.Same.Count} of {relay.SameExpected} | {relay.Same.Format()} |");
Console.WriteLine($"| relay to {listenerCount} listeners on hs1, talker on hs2 (via the server link) | {relay.Cross.Count} of {relay.CrossExpected} | {relay.Cross.Format()} |");
Console.WriteLine($"load average after: {Machine.LoadAverage()}");

// POST …/floor/request until granted (timed), then release; the floor is idle again before the next one.
async Task GrantAsync(string room, MatrixClient device, List<double>? times)
{
    var path = $"{p}/rooms/{Uri.EscapeDataString(room)}/floor";
    var start = Stopwatch.GetTimestamp();
    var granted = await device.PostAsync($"{path}/request", new { });
    times?.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    if (granted["result"]?.GetValue<string>() != "granted") throw new InvalidOperationException($"not granted: {granted.ToJsonString()}");
    await device.PostAsync($"{path}/release", new { epoch = granted["epoch"]!.GetValue<long>() });
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}

static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

/// <summary>hs1.test and hs2.test, each on its own database, dialing each other directly or through a latency proxy.</summary>
sealed class Pair : IAsyncDisposable
{
    readonly List<WebApplication> _apps = [];
    readonly List<LatencyProxy> _proxies = [];
    public Uri Hs1 { get; private set; } = null!;
    public Uri Hs2 { get; private set; } = null!;
    public HttpClient Http1 { get; private set; } = null!;
    public HttpClient Http2 { get; private set; } = null!;

    public static async Task<Pair> StartAsync(BenchPostgres postgres, string name, TimeSpan oneWay)
    {
        var pair = new Pair();
        int port1 = PostgresCluster.FreePort(), port2 = PostgresCluster.FreePort();
        int dial1 = port1, dial2 = port2;
        if (oneWay > TimeSpan.Zero)
        {
            var to1 = new LatencyProxy(port1, oneWay);
            var to2 = new LatencyProxy(port2, oneWay);
            pair._proxies.AddRange([to1, to2]);
            (dial1, dial2) = (to1.Port, to2.Port);
        }
        var databases = new List<string>();
        foreach (var server in new[] { "hs1", "hs2" })
        {
            var db = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = $"walkie_{name}_{server}" };
            await PostgresCluster.WaitAndEnsureDatabaseAsync(db.Port, db.Database!, TimeSpan.FromSeconds(30));
            databases.Add(db.ConnectionString);
        }
        string[] common = ["--Federation:RetryInitialDelay=00:00:00.200", "--Federation:RetryMaxDelay=00:00:02"];
        var (app1, hs1) = await BenchServer.StartAsync(databases[0], [$"--urls=http://127.0.0.1:{port1}", "--Matrix:ServerName=hs1.test",
            $"--Federation:Peers:hs2.test=http://127.0.0.1:{dial2}", .. common]);
        var (app2, hs2) = await BenchServer.StartAsync(databases[1], [$"--urls=http://127.0.0.1:{port2}", "--Matrix:ServerName=hs2.test",
            $"--Federation:Peers:hs1.test=http://127.0.0.1:{dial1}", .. common]);
        pair._apps.AddRange([app1, app2]);
        (pair.Hs1, pair.Hs2) = (hs1, hs2);
        pair.Http1 = new HttpClient { BaseAddress = hs1, Timeout = TimeSpan.FromMinutes(2) };
        pair.Http2 = new HttpClient { BaseAddress = hs2, Timeout = TimeSpan.FromMinutes(2) };
        return pair;
    }

    /// <summary>A walkie room of alice (hs1, so hs1 is its floor host) that bob (hs2) joined; both consent, and hs1 sees bob's consent.</summary>
    public async Task<(string Room, MatrixClient Alice, MatrixClient Bob)> WalkieRoomAsync()
    {
        var alice = await MatrixClient.RegisterAsync(Http1, "alice");
        var bob = await MatrixClient.RegisterAsync(Http2, "bob");
        var room = await ConsentSetup.CreateWalkieRoomAsync(alice);
        var escaped = Uri.EscapeDataString(room);
        await bob.PostAsync($"/_matrix/client/v3/join/{escaped}?server_name=hs1.test", new { });
        await bob.PutAsync($"{ConsentSetup.P}/rooms/{escaped}/consent", new { });
        var mirror = $"/_matrix/client/v3/rooms/{escaped}/state/org.matrix.msc4002.member/{Uri.EscapeDataString($"_{bob.UserId}_{bob.DeviceId}")}";
        for (var deadline = Stopwatch.StartNew(); ; await Task.Delay(100))
        {
            using var seen = await Http1.SendAsync(new HttpRequestMessage(HttpMethod.Get, mirror) { Headers = { { "Authorization", $"Bearer {alice.AccessToken}" } } });
            if (seen.IsSuccessStatusCode) break;
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("hs1 never saw bob's consent");
        }
        return (room, alice, bob);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps) await app.StopAsync();
        foreach (var app in _apps) await app.DisposeAsync();
        foreach (var proxy in _proxies) await proxy.DisposeAsync();
    }
}
