using System.Diagnostics;
using WalkieTalkie.Bench;
using WalkieTalkie.LocalNats;

// Audio across server processes (issue 13): one room, a talker on process 1 and N listeners, first all on process 1
// alone (single node: nothing goes to NATS), then spread over three processes on one database and one NATS server
// (cross node). Same room, same devices, same run. Also times the consent setup of the N devices.
// Servers are OS processes (src/Server's build output); clients live in this process and share its cores.
//   dotnet run -c Release --project bench/CrossNode.Bench -- [--devices 1000] [--users 10] [--frames 500] [--warmup 50]
var devices = Option("devices", 1000);
var users = Option("users", 10);
var frames = Option("frames", 500);
var warmup = Option("warmup", 50);

Console.WriteLine($"machine: {Machine.Describe()}; load average before: {Machine.LoadAverage()}");
var natsPort = NatsServer.FreePort();
using var nats = NatsServer.Start(natsPort);
await NatsServer.WaitAsync(natsPort, TimeSpan.FromSeconds(30));
await using var postgres = await BenchPostgres.StartAsync(durable: true);
var settings = new Dictionary<string, string> { ["ConnectionStrings__nats"] = NatsServer.Url(natsPort) };
var servers = new List<ServerProcess> { await ServerProcess.StartAsync(postgres.ConnectionString, settings) };
try
{
    using var http = new HttpClient { BaseAddress = servers[0].BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
    Log($"setting up {devices} consenting devices ({users} users) in one room on process 1...");
    var (roomId, owner, created, consent) = await ConsentSetup.RunAsync(http, devices, users, () => Cpu(servers[0]));
    Console.WriteLine($"consent setup: {consent.Devices} devices consenting in one room in {consent.Seconds:F1} s " +
        $"({consent.Seconds * 1000 / consent.Devices:F1} ms each, server CPU {consent.CpuSeconds:F1} s)");

    await using var talker = await LiveClient.ConnectAsync(servers[0].BaseAddress, owner, roomId, node: 0);
    var listeners = new List<LiveClient>();
    foreach (var device in created) listeners.Add(await LiveClient.ConnectAsync(servers[0].BaseAddress, device, roomId, node: 0));
    var single = await BurstAsync("single node", listeners);

    Log("starting processes 2 and 3, moving two thirds of the listeners there...");
    for (var i = 1; i < 3; i++) servers.Add(await ServerProcess.StartAsync(postgres.ConnectionString, settings));
    for (var i = 0; i < listeners.Count; i++)
    {
        if (i % 3 == 0) continue;
        await listeners[i].DisposeAsync();
        listeners[i] = await LiveClient.ConnectAsync(servers[i % 3].BaseAddress, created[i], roomId, node: i % 3);
    }
    await Task.Delay(TimeSpan.FromSeconds(3)); // presence is counted every second; a starting process says hello at once
    var cross = await BurstAsync("three nodes", listeners);

    Console.WriteLine();
    Console.WriteLine("| run | frames expected / heard | p50 / p99 / max (ms) |");
    Console.WriteLine("| --- | --- | --- |");
    Row("single node (process 1 alone)", single.All, single.Expected);
    Row("three nodes, all listeners", cross.All, cross.Expected);
    Row("three nodes, on process 1 (local)", cross.ByNode[0], cross.ExpectedByNode[0]);
    Row("three nodes, on processes 2–3 (via NATS)", cross.ByNode[1].Concat(cross.ByNode[2]).ToArray(), cross.ExpectedByNode[1] + cross.ExpectedByNode[2]);
    var crossP99 = Percentiles.Of(cross.ByNode[1].Concat(cross.ByNode[2]).ToArray().AsSpan()).P99;
    var singleP99 = Percentiles.Of(single.All.AsSpan()).P99;
    Console.WriteLine($"cross-node p99 − single-node p99 = {crossP99 - singleP99:F2} ms (target ≤ 5 ms)");
    Console.WriteLine($"load average after: {Machine.LoadAverage()}");

    async Task<(float[] All, long Expected, float[][] ByNode, long[] ExpectedByNode)> BurstAsync(string name, List<LiveClient> all)
    {
        Log($"{name}: {frames} frames at 50/s to {all.Count} listeners...");
        foreach (var l in all) { l.CountFrom = (uint)warmup; l.TakeLatencies(); }
        var epoch = await talker.RequestFloorAsync(roomId);
        await talker.TalkAsync(epoch, frames + warmup);
        await Task.Delay(TimeSpan.FromSeconds(2)); // the last frames drain
        await talker.ReleaseFloorAsync(roomId, epoch);
        var byNode = Enumerable.Range(0, 3).Select(n => all.Where(l => l.Node == n).SelectMany(l => l.TakeLatencies()).ToArray()).ToArray();
        var expected = Enumerable.Range(0, 3).Select(n => (long)all.Count(l => l.Node == n) * frames).ToArray();
        return (byNode.SelectMany(b => b).ToArray(), expected.Sum(), byNode, expected);
    }
}
finally
{
    foreach (var server in servers) await server.DisposeAsync();
    nats.Kill();
}

static void Row(string name, float[] latencies, long expected)
{
    var p = Percentiles.Of(latencies.ToArray().AsSpan());
    Console.WriteLine($"| {name} | {expected} / {latencies.Length} | {p.Format()} |");
}

static TimeSpan Cpu(ServerProcess server) => Process.GetProcessById(server.Id).TotalProcessorTime;

static void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}
