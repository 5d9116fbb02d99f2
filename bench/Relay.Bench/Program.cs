using ControlTypes = WalkieTalkie.Protocol.ControlTypes;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WalkieTalkie.Bench;
using WalkieTalkie.Bench.Relay;
using WalkieTalkie.Server.Walkie.Stream;

// Live-audio relay: added latency talker → listener, the listener ceiling, throughput, late entry, idle bytes and memory
// per idle connection, for the real server (in-process, real PostgreSQL with fsync on) beside a baseline measured in
// the same run: a bare Kestrel WebSocket fan-out. Client sockets live in this process (a child process holds them for
// the server-alone CPU and the memory rows): clients and servers share the machine's cores.
//   dotnet run -c Release --project bench/Relay.Bench -- [--devices 1000] [--users 10] [--frames 500]
//     [--steps 250,500,750,1000,1250,1500,2000,5000,9500] [--rooms 200] [--room-listeners 5] [--late 40] [--idle-seconds 60] [--memory 4000] [--only baseline|walkie]
//     [--walkie-first] [--rooms-only] [--flood-seconds 5] [--server-log Warning|Information] [--Walkie:Stream:<option>=<value> ...]
if (args.Length > 0 && args[0] == "idle")
{
    await IdleClients.RunChildAsync(args[1..]);
    return;
}

var devices = Option("devices", 1000);
var users = Option("users", 10);
var frames = Option("frames", 500);
var steps = OptionText("steps", "250,500,750,1000,1250,1500,2000,5000,9500").Split(',').Select(int.Parse).ToArray();
var lateEntries = Option("late", 40);
var manyRooms = Option("rooms", 200);
var roomListeners = Option("room-listeners", 5);
var idleSeconds = Option("idle-seconds", 60);
var memoryConnections = Option("memory", 4000);
var only = OptionText("only", "");
var walkieFirst = args.Contains("--walkie-first");
var floodSeconds = Option("flood-seconds", 5);
var roomsOnly = args.Contains("--rooms-only"); // just the many-rooms row (and its baseline), e.g. to profile it
const double ceilingP99Ms = 20;

var total = Stopwatch.StartNew();
Meter.CountExceptions();
var packets = Speech.Packets();
var sizes = packets.Select(p => p.Length).Order().ToArray();
Log($"{packets.Length} Opus packets (20 ms, {WalkieTalkie.Audio.OpusVoice.DefaultBitrate / 1000} kb/s): payload {sizes[0]}–{sizes[^1]} B, median {sizes[sizes.Length / 2]} B, mean {sizes.Average():F0} B");

await using var postgres = await BenchPostgres.StartAsync(durable: true);
// The per-connection frame-rate guard (100/s) would cut the unpaced throughput run short; 50 frames/s runs never reach it.
var (app, baseAddress) = await BenchServer.StartAsync(postgres.ConnectionString, [
    "--Walkie:Stream:MaxFramesPerSecond=1000000", $"--Logging:LogLevel:WalkieTalkie={OptionText("server-log", "Warning")}",
    .. args.Where(a => a.StartsWith("--Walkie:", StringComparison.Ordinal)), // experiments, e.g. --Walkie:Stream:RelayAcrossProcesses=false
]);
var streamOptions = app.Services.GetRequiredService<IOptions<StreamOptions>>().Value;
using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(5) };
var walkie = new WalkieTarget(app, baseAddress, packets);
await using var baseline = new BaselineTarget(BaselineServer.Start(streamOptions.ListenerQueueFrames), packets);
await using var _ = walkie;

Log($"setting up {devices} listener devices ({users} users) in one walkie room...");
var setup = Stopwatch.StartNew();
await walkie.SetUpAsync(http, devices, users);
Log($"  done in {setup.Elapsed.TotalSeconds:F0} s");

var report = new Report();
IRelayTarget[] order = walkieFirst ? [walkie, baseline] : [baseline, walkie];
foreach (var target in order.Where(t => only == "" || t.Name.Equals(only, StringComparison.OrdinalIgnoreCase) || (only == "walkie" && t == walkie)))
{
    if (target != baseline)
    {
        await MeasureAsync(target);
        continue;
    }
    // Idle connections, one per server, subscribed while the baseline is measured: nothing happens in the walkie room meanwhile
    // (and the baseline's idle socket is in a room of its own).
    var idle = new List<(IRelayTarget Target, Listener Socket, long ReadAtStart, long WrittenAtStart)>();
    foreach (var quiet in new IRelayTarget[] { baseline, walkie })
    {
        var socket = await Listener.ConnectAsync(quiet.IdleUri, count: true);
        await socket.RequestAsync(quiet.Subscribe, ControlTypes.Subscribed);
        await Task.Delay(200); // whatever follows `subscribed` (e.g. floor.taken) is not idle traffic
        idle.Add((quiet, socket, socket.Counter!.BytesRead, socket.Counter.BytesWritten));
    }
    var idleSince = Stopwatch.GetTimestamp();
    await MeasureAsync(baseline);
    var idleLeft = TimeSpan.FromSeconds(idleSeconds) - Stopwatch.GetElapsedTime(idleSince);
    if (idleLeft > TimeSpan.Zero)
    {
        Log($"waiting {idleLeft.TotalSeconds:F0} s more on the idle connections...");
        await Task.Delay(idleLeft);
    }
    var idleElapsed = Stopwatch.GetElapsedTime(idleSince);
    foreach (var (quiet, socket, read, written) in idle)
    {
        var perMinute = 60 / idleElapsed.TotalSeconds;
        report.Set($"idle subscribed connection: bytes received per minute (sent), incl. WebSocket control frames, over {idleElapsed.TotalSeconds:F0} s",
            quiet, $"{(socket.Counter!.BytesRead - read) * perMinute:F0} ({(socket.Counter.BytesWritten - written) * perMinute:F0})");
        await socket.DisposeAsync();
    }
    await IdleClients.WaitForConnectionsAsync(walkie, 0);
    await IdleClients.WaitForConnectionsAsync(baseline, 0);
}

Console.WriteLine();
Console.WriteLine($"machine: {Machine.Describe()}; PostgreSQL {await postgres.ShowAsync("server_version")} fsync={await postgres.ShowAsync("fsync")}, " +
    $"synchronous_commit={await postgres.ShowAsync("synchronous_commit")}; " +
    $"servers, database and clients on this machine, client sockets in the bench process (child process: server-alone and memory rows); load average at the end {Machine.LoadAverage()}");
Console.WriteLine($"talker: 50 frames/s of real Opus packets ({sizes[0]}–{sizes[^1]} B payload, mean {sizes.Average():F0} B); " +
    $"{frames} measured frames per latency row after 50 warm-up frames; listener queue {streamOptions.ListenerQueueFrames} frames (drop-oldest) in both servers; " +
    $"WalkieTalkie listeners are {devices} devices of {users} users (more listeners than devices: several streams per device)");
report.Print();
Log($"total {total.Elapsed.TotalMinutes:F1} min");

async Task MeasureAsync(IRelayTarget target)
{
    Log($"== {target.Name}");
    if (roomsOnly)
    {
        await ManyRoomsAsync(target);
        return;
    }
    var listeners = new List<Listener>();
    var connectionsBefore = target.ServerConnections();
    try
    {
        foreach (var n in new[] { 1, 100 })
        {
            await GrowAsync(target, listeners, n);
            var r = await LatencyAsync(target, listeners, frames);
            report.Latency($"relay latency, {n:N0} listener{(n > 1 ? "s" : "")}", target, r);
        }

        await LateEntryAsync(target, listeners.Count);

        // The ceiling: step up until p99 passes 20 ms; 1,000 is always measured (a table row, and the throughput run).
        var ceiling = 100;
        string? stopped = null;
        foreach (var n in steps.Append(1000).Where(n => n > 100).Distinct().Order())
        {
            if (stopped is not null && n > 1000) break;
            try { await GrowAsync(target, listeners, n); }
            catch (Exception e)
            {
                stopped = $"could not open {n:N0} listeners: {e.GetType().Name}: {e.Message}";
                Log($"  {stopped}");
                break;
            }
            var r = await LatencyAsync(target, listeners, n == 1000 ? frames : Math.Min(frames, 300), retained: n == 1000);
            report.Latency($"relay latency, {n:N0} listeners", target, r);
            if (n == 1000)
            {
                report.Set("1,000 listeners, per delivery in the bench process (server + clients): CPU, allocated, exceptions thrown; GCs gen0/1/2", target,
                    $"{r.Usage.CpuUsPerDelivery:F1} µs, {r.Usage.BytesPerDelivery:F0} B, {r.Usage.ExceptionsPerDelivery:F2}; {r.Usage.Gen0}/{r.Usage.Gen1}/{r.Usage.Gen2}");
                report.Set("1,000 listeners: heap still held at the end of the burst, per delivery (full GC before and after)", target,
                    $"{r.RetainedPerDelivery:F0} B");
                await ThroughputAsync(target, listeners);
            }
            if (stopped is null && r.Latency.P99 > ceilingP99Ms) stopped = $"p99 {r.Latency.P99:F1} ms at {n:N0}";
            if (stopped is null) ceiling = n;
        }
        report.Set($"most listeners in one room with p99 ≤ 20 ms (steps {string.Join(", ", steps.Select(n => n.ToString("N0")))})", target,
            $"{ceiling:N0} ({stopped ?? "last step reached"})");
    }
    finally
    {
        Log($"  closing {listeners.Count} listeners...");
        foreach (var l in listeners) await l.DisposeAsync();
        await IdleClients.WaitForConnectionsAsync(target, connectionsBefore);
    }

    if (manyRooms > 0) await ManyRoomsAsync(target);
    await ServerCpuAsync(target);

    Log($"  memory: {memoryConnections} idle subscribed connections from a child process...");
    var (heap, workingSet, counted) = await IdleClients.MeasureMemoryAsync(target, memoryConnections);
    report.Set($"server memory per idle subscribed connection: GC heap (working set), {memoryConnections:N0} connections", target,
        $"{heap / 1024:F1} KiB ({workingSet / 1024:F1} KiB){(counted != memoryConnections ? $" — server counted {counted}" : "")}");
}

async Task GrowAsync(IRelayTarget target, List<Listener> listeners, int n)
{
    if (listeners.Count >= n) return;
    var watch = Stopwatch.StartNew();
    var added = new Listener[n - listeners.Count];
    var offset = listeners.Count;
    await Parallel.ForEachAsync(Enumerable.Range(0, added.Length), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
    {
        var listener = await Listener.ConnectAsync(target.ListenerUri(offset + i));
        await listener.RequestAsync(target.Subscribe, ControlTypes.Subscribed, TimeSpan.FromSeconds(120));
        added[i] = listener;
    });
    listeners.AddRange(added);
    Log($"  {n:N0} listeners subscribed ({added.Length} opened in {watch.Elapsed.TotalSeconds:F1} s)");
}

async Task<LatencyResult> LatencyAsync(IRelayTarget target, List<Listener> listeners, int measured, bool retained = false)
{
    const int warmUp = 50;
    var heapBefore = retained ? MemorySnapshot.Take().Heap : 0;
    var talker = await target.StartTalkingAsync();
    var first = SendTimes.Reserve(warmUp + measured);
    await talker.SendPacedAsync(first, warmUp, 50);
    var window = new Window(first + warmUp, measured, listeners.Count);
    var drops = target.QueueDrops();
    var meter = new Meter();
    Recorder.Current = window;
    await talker.SendPacedAsync(window.First, measured, 50);
    await Deliveries.WaitAsync(() => window.Count, window.Expected);
    Recorder.Current = null;
    var usage = meter.Stop(window.Count);
    drops = target.QueueDrops() - drops;
    // Still holding the floor: what the burst left on the heap (a full GC keeps only what is reachable).
    var retainedPerDelivery = retained ? (MemorySnapshot.Take().Heap - heapBefore) / (double)((warmUp + measured) * listeners.Count) : double.NaN;
    await target.StopTalkingAsync();
    var span = SendTimes.Ms(Volatile.Read(ref window.LastAt) - SendTimes.At[window.First]) / 1000;
    var result = new LatencyResult(listeners.Count, window.Result(), window.Count, window.Expected, window.Count / span, drops, usage, retainedPerDelivery);
    Log($"  {listeners.Count,6:N0} listeners: p50 {result.Latency.P50:F2} ms, p99 {result.Latency.P99:F2} ms, max {result.Latency.Max:F1} ms, " +
        $"{result.Received}/{result.Expected} delivered ({result.PerSecond:F0}/s), {drops} dropped; {usage}");
    return result;
}

async Task LateEntryAsync(IRelayTarget target, int listening)
{
    var talker = await target.StartTalkingAsync();
    using var stop = new CancellationTokenSource();
    var sending = talker.SendPacedAsync(SendTimes.Reserve(1400), 1400, 50, stop.Token); // < 30 s: the default max talk
    await Task.Delay(500);
    var times = new List<double>();
    var subscribed = new List<double>();
    var random = new Random(7);
    for (var i = 0; i < lateEntries; i++)
    {
        var late = await Listener.ConnectAsync(target.ListenerUri(listening + i));
        await Task.Delay(random.Next(0, 20)); // any phase of the 20 ms frame clock
        var (answered, heard) = await late.SubscribeUntilFirstFrameAsync(target.Subscribe, TimeSpan.FromSeconds(10));
        subscribed.Add(answered);
        times.Add(heard);
        await late.DisposeAsync();
    }
    stop.Cancel();
    await sending;
    await target.StopTalkingAsync();
    Log("  slowest `subscribed` answers (entry: ms): " +
        string.Join(", ", subscribed.Select((ms, i) => (ms, i)).OrderByDescending(x => x.ms).Take(3).Select(x => $"{x.i}: {x.ms:F1}")));
    var p = Percentiles.Of(times);
    var s = Percentiles.Of(subscribed);
    report.Set($"late entry: `subscribe` sent → first frame, mid-burst with {listening} listening, p50 / p99 / max ms (n={lateEntries})", target,
        $"{p.P50:F1} / {p.P99:F1} / {p.Max:F1}");
    report.Set($"late entry: `subscribe` sent → `subscribed` received, p50 / p99 / max ms", target, $"{s.P50:F1} / {s.P99:F1} / {s.Max:F1}");
    Log($"  late entry: first frame p50 {p.P50:F1} ms, p99 {p.P99:F1} ms, max {p.Max:F1} ms; subscribed p50 {s.P50:F1} ms, max {s.Max:F1} ms");
}

async Task ThroughputAsync(IRelayTarget target, List<Listener> listeners)
{
    const int window = 32; // frames in flight, half a listener queue
    var talker = await target.StartTalkingAsync();
    var before = listeners.Sum(l => l.Frames);
    // Flow control from 16 listeners spread over the subscription order (the last subscribed is served last).
    var sample = Enumerable.Range(0, 16).Select(i => listeners[(int)((long)i * (listeners.Count - 1) / 15)]).Distinct().ToArray();
    var sampleBefore = sample.Select(l => l.Frames).ToArray();
    long Acknowledged()
    {
        var min = long.MaxValue;
        for (var i = 0; i < sample.Length; i++) min = Math.Min(min, sample[i].Frames - sampleBefore[i]);
        return min;
    }
    var drops = target.QueueDrops();
    var meter = new Meter();
    var start = Stopwatch.GetTimestamp();
    var duration = TimeSpan.FromSeconds(floodSeconds);
    Log($"  throughput run starts ({floodSeconds} s)");
    var sent = await talker.FloodAsync(SendTimes.Reserve(1_000_000), duration, Acknowledged, window);
    await Deliveries.WaitAsync(() => listeners.Sum(l => l.Frames) - before, (long)sent * listeners.Count);
    var delivered = listeners.Sum(l => l.Frames) - before;
    var usage = meter.Stop(delivered);
    drops = target.QueueDrops() - drops;
    await target.StopTalkingAsync();
    var seconds = SendTimes.Ms(listeners.Max(l => l.LastFrameAt) - start) / 1000;
    report.Set($"throughput, {listeners.Count:N0} listeners, talker as fast as they take it (≤ {window} frames ahead), {floodSeconds} s: deliveries/s (frames/s; dropped from queues)", target,
        $"{delivered / seconds:N0} ({sent / seconds:N0}; {drops:N0})");
    report.Set($"throughput run, per delivery in the bench process: CPU, allocated, exceptions thrown", target,
        $"{usage.CpuUsPerDelivery:F1} µs, {usage.BytesPerDelivery:F0} B, {usage.ExceptionsPerDelivery:F2}");
    Log($"  throughput: {delivered / seconds:F0} deliveries/s, talker {sent / seconds:F0} frames/s, {drops} dropped; {usage}");
}

async Task ManyRoomsAsync(IRelayTarget target)
{
    Log($"  {manyRooms} rooms × (1 talker + {roomListeners} listeners), all talking at once...");
    var connectionsBefore = target.ServerConnections();
    var measured = Math.Min(frames, 300);
    var r = await ManyRooms.MeasureAsync(target, manyRooms, roomListeners, measured, Log);
    var row = $"{manyRooms} rooms × (1 talker + {roomListeners} listeners) talking at once, {measured} frames each";
    report.Set($"{row}: p50 / p99 / max ms", target, $"{r.Latency.P50:F2} / {r.Latency.P99:F2} / {r.Latency.Max:F1}");
    report.Set($"{row}: delivered (of expected), dropped from queues; per delivery in the bench process: CPU", target,
        $"{r.Received:N0}{(r.Received != r.Expected ? $" (of {r.Expected:N0})" : "")}, {r.Dropped:N0}; {r.Usage.CpuUsPerDelivery:F1} µs");
    Log($"  {manyRooms} rooms: p50 {r.Latency.P50:F2} ms, p99 {r.Latency.P99:F2} ms, max {r.Latency.Max:F1} ms, {r.Received}/{r.Expected} delivered; {r.Usage}");
    await IdleClients.WaitForConnectionsAsync(target, connectionsBefore);
}

// The server's own CPU: the same 1,000-listener burst with the listening sockets in a child process.
async Task ServerCpuAsync(IRelayTarget target)
{
    const int n = 1000;
    Log($"  server CPU: {n} listeners in a child process...");
    var connectionsBefore = target.ServerConnections();
    await using (var clients = await IdleClients.StartAsync(target, n))
    {
        var talker = await target.StartTalkingAsync();
        var first = SendTimes.Reserve(50 + frames);
        await talker.SendPacedAsync(first, 50, 50);
        await Task.Delay(200);
        var before = await clients.FramesAsync();
        var meter = new Meter();
        await talker.SendPacedAsync(first + 50, frames, 50);
        await Task.Delay(500);
        var delivered = await clients.FramesAsync() - before;
        var usage = meter.Stop(delivered);
        await target.StopTalkingAsync();
        report.Set($"server alone (1,000 listeners in a child process, {frames} frames at 50/s): CPU and allocated per delivery (the talker's socket is here too), cores busy", target,
            $"{usage.CpuUsPerDelivery:F1} µs, {usage.BytesPerDelivery:F1} B, {usage.ProcessCores:F2} cores{(delivered != (long)frames * n ? $" ({delivered:N0} of {(long)frames * n:N0} delivered)" : "")}");
        Log($"  server alone: {delivered} delivered; {usage}");
    }
    await IdleClients.WaitForConnectionsAsync(target, connectionsBefore);
}


int Option(string name, int fallback) => int.TryParse(OptionText(name, ""), out var v) ? v : fallback;

string OptionText(string name, string fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static void Log(string line) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

sealed record LatencyResult(int Listeners, Percentiles Latency, int Received, int Expected, double PerSecond, long Dropped, Meter.Usage Usage,
    double RetainedPerDelivery);

/// <summary>Rows in order of first mention; one column per server.</summary>
sealed class Report
{
    readonly List<string> _rows = [];
    readonly Dictionary<(string Row, string Target), string> _cells = [];

    public void Set(string row, IRelayTarget target, string value)
    {
        if (!_rows.Contains(row)) _rows.Add(row);
        _cells[(row, target.Name)] = value;
    }

    public void Latency(string row, IRelayTarget target, LatencyResult r)
    {
        Set($"{row}: p50 / p99 / max ms", target, $"{r.Latency.P50:F2} / {r.Latency.P99:F2} / {r.Latency.Max:F1}");
        Set($"{row}: delivered (of expected), deliveries/s", target,
            $"{r.Received:N0}{(r.Received != r.Expected ? $" (of {r.Expected:N0})" : "")}, {r.PerSecond:N0}/s");
    }

    public void Print()
    {
        var width = Math.Max(20, _rows.Max(r => r.Length));
        Console.WriteLine($"| {"measurement".PadRight(width)} | {"baseline (Kestrel fan-out)",-28} | {"WalkieTalkie",-28} |");
        Console.WriteLine($"|{new string('-', width + 2)}|{new string('-', 30)}|{new string('-', 30)}|");
        foreach (var row in _rows)
            Console.WriteLine($"| {row.PadRight(width)} | {Cell(row, "baseline"),-28} | {Cell(row, "WalkieTalkie"),-28} |");
    }

    string Cell(string row, string target) => _cells.TryGetValue((row, target), out var v) ? v : "—";
}
