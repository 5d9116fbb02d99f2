using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using WalkieTalkie.LocalPostgres;
using WalkieTalkie.Server;
using WalkieTalkie.Server.Walkie.Floor;

// MSC4002 floor control over real HTTP against a real server and PostgreSQL: request → granted latency, and floor
// decisions per second with concurrent clients across many rooms; beside a baseline measured in the same run on the
// same database: one durable INSERT round trip.
//   dotnet run -c Release --project bench/Floor.Bench -- [samples=2000] [clients=32] [decisions=20000] [fsync=on|off]
var samples = Arg(0, 2000);
var clients = Arg(1, 32);
var decisions = Arg(2, 20_000);
var durable = args.Length <= 3 || args[3] != "off";

var root = Directory.CreateTempSubdirectory("walkie-bench-pg-").FullName;
var cluster = new PostgresCluster(PostgresBinaries.Locate(Console.WriteLine), Path.Combine(root, "data"));
cluster.Initialize();
var port = PostgresCluster.FreePort();
using var postgres = cluster.Start(port, durable);
try
{
    await PostgresCluster.WaitAndEnsureDatabaseAsync(port, "walkie", TimeSpan.FromSeconds(30));
    var connectionString = PostgresCluster.ConnectionString(port, "walkie");
    var app = WalkieServer.Create([
        "--environment=Development", $"--ConnectionStrings:walkie={connectionString}",
        "--Logging:LogLevel:Default=Warning", "--Passwords:Iterations=1000", "--urls=http://127.0.0.1:0",
    ]);
    await app.StartAsync();
    var baseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    // One room per client, so concurrent clients measure the server, not contention for one floor.
    Console.Error.WriteLine($"setting up {clients} users, rooms and consents...");
    var talkers = new List<Talker>();
    for (var i = 0; i < clients; i++)
    {
        var client = await Client.RegisterAsync(baseAddress, "talker");
        var room = (await client.PostAsync("/_matrix/client/v3/createRoom", new
        {
            preset = "public_chat",
            power_level_content_override = new { events = new Dictionary<string, int> { ["org.matrix.msc4002.member"] = 0 } },
        }))["room_id"]!.GetValue<string>();
        // Default timers: every grant schedules its max-talk and end-of-media backstops, as in production.
        await client.PutAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(room)}/state/org.matrix.msc4002.walkie_talkie", new { enabled = true });
        await client.PutAsync($"{Talker.P}/rooms/{Uri.EscapeDataString(room)}/consent", new { });
        talkers.Add(new Talker(client, room));
    }

    await using var dataSource = NpgsqlDataSource.Create(connectionString);
    await using (var create = dataSource.CreateCommand("create table if not exists bench_baseline (id bigserial primary key, payload text not null)"))
        await create.ExecuteNonQueryAsync();

    // Warm-up: JIT, pools, Marten's and Wolverine's generated code.
    for (var i = 0; i < 200; i++) await talkers[i % talkers.Count].TalkAsync();
    for (var i = 0; i < 200; i++) await InsertAsync(dataSource);

    var insertLatency = new List<double>();
    for (var i = 0; i < samples; i++) insertLatency.Add(await Timed(() => InsertAsync(dataSource)));

    var requestLatency = new List<double>();
    for (var i = 0; i < samples; i++)
    {
        var talker = talkers[i % talkers.Count];
        var start = Stopwatch.GetTimestamp();
        var epoch = await talker.RequestAsync();
        requestLatency.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        await talker.ReleaseAsync(epoch);
    }

    var cpu = new CpuMeter(postgres.Id);
    var (insertRate, insertLoaded) = await Concurrently(clients, decisions, _ => InsertAsync(dataSource));
    var insertCpu = cpu.PerOp(decisions);
    await Task.Delay(TimeSpan.FromSeconds(2)); // statistics of the INSERT run flush late
    var statsBefore = await DatabaseStats(dataSource);
    var lostBefore = app.Services.GetRequiredService<FloorControl>().LostRaces;
    // Each talk is two decisions: the request (granted) and the release.
    var (talkRate, talkLoaded) = await Concurrently(clients, decisions / 2, i => talkers[i].TalkAsync());
    var lost = app.Services.GetRequiredService<FloorControl>().LostRaces - lostBefore;
    // The durable end-of-media backstops of these grants fire 4 s later; wait for them, and for the statistics to flush.
    await Task.Delay(TimeSpan.FromSeconds(6));
    var statsAfter = await DatabaseStats(dataSource);
    var talkCpu = cpu.PerOp(decisions);
    var perDecision = statsAfter.Zip(statsBefore, (a, b) => (a.Name, PerOp: (a.Value - b.Value) / (double)decisions));

    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {CpuModel()}, PostgreSQL {await ServerVersion(dataSource)} " +
        $"fsync={(durable ? "on" : "off")}, synchronous_commit={(durable ? "on" : "off")}; server, database and clients on this machine");
    Console.WriteLine($"{"measurement",-58} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"ops/s",8}");
    Print("baseline: durable INSERT round trip, sequential", insertLatency, samples / insertLatency.Sum() * 1000);
    Print("floor request → granted response, sequential", requestLatency, null);
    Print($"baseline: durable INSERT, {clients} connections", insertLoaded, insertRate);
    Print($"floor decisions (request+release), {clients} clients/rooms", talkLoaded, talkRate * 2);
    Console.WriteLine($"lost optimistic-concurrency races during the concurrent run: {lost}");
    Console.WriteLine($"CPU per operation in the concurrent runs (ms; floor incl. its timer backstops): INSERT: bench process {insertCpu.Bench:F3}, PostgreSQL {insertCpu.Postgres:F3}; " +
        $"floor decision: bench process (server + HTTP clients) {talkCpu.Bench:F3}, PostgreSQL {talkCpu.Postgres:F3}");
    Console.WriteLine("database work per floor decision, incl. the timer backstops fired afterwards: " +
        string.Join(", ", perDecision.Select(x => $"{x.Name} {x.PerOp:F2}")));
    Console.WriteLine($"load average at the end: {File.ReadAllText("/proc/loadavg").Trim()}");
    await app.StopAsync();
}
finally
{
    PostgresCluster.Stop(postgres, TimeSpan.FromSeconds(10));
    Directory.Delete(root, recursive: true);
}

int Arg(int index, int fallback) => args.Length > index && int.TryParse(args[index], out var v) ? v : fallback;

static async Task InsertAsync(NpgsqlDataSource dataSource)
{
    await using var insert = dataSource.CreateCommand("insert into bench_baseline (payload) values ($1)");
    insert.Parameters.AddWithValue("floor decision sized payload");
    await insert.ExecuteNonQueryAsync();
}

static async Task<double> Timed(Func<Task> action)
{
    var start = Stopwatch.GetTimestamp();
    await action();
    return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}

/// <summary>Runs <paramref name="total"/> operations on <paramref name="workers"/> concurrent loops; ops/s and each op's latency.</summary>
static async Task<(double Rate, List<double> Latencies)> Concurrently(int workers, int total, Func<int, Task> op)
{
    var remaining = total;
    var latencies = new List<double>[workers];
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
    {
        latencies[w] = [];
        while (Interlocked.Decrement(ref remaining) >= 0) latencies[w].Add(await Timed(() => op(w)));
    })));
    watch.Stop();
    return (total / watch.Elapsed.TotalSeconds, latencies.SelectMany(l => l).ToList());
}

static void Print(string name, List<double> values, double? rate)
{
    values.Sort();
    double P(double q) => values[Math.Min(values.Count - 1, (int)Math.Ceiling(q * values.Count) - 1)];
    Console.WriteLine($"{name,-58} {P(0.50),8:F2} {P(0.99),8:F2} {values[^1],8:F2} {(rate is { } r ? r.ToString("F0") : "—"),8}");
}

static async Task<List<(string Name, long Value)>> DatabaseStats(NpgsqlDataSource dataSource)
{
    await using var stats = dataSource.CreateCommand(
        "select xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_returned, tup_fetched from pg_stat_database where datname = current_database()");
    await using var reader = await stats.ExecuteReaderAsync();
    await reader.ReadAsync();
    return Enumerable.Range(0, reader.FieldCount).Select(i => (reader.GetName(i), reader.GetInt64(i))).ToList();
}

static async Task<string> ServerVersion(NpgsqlDataSource dataSource)
{
    await using var version = dataSource.CreateCommand("show server_version");
    return (string)(await version.ExecuteScalarAsync())!;
}

static string CpuModel() =>
    File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?"
        : "?";

/// <summary>CPU time of this process and of the PostgreSQL server (postmaster and its backends) between calls, from /proc.</summary>
sealed class CpuMeter(int postmaster)
{
    static readonly double TickMs = 1000.0 / 100; // USER_HZ
    TimeSpan _bench = Process.GetCurrentProcess().TotalProcessorTime;
    double _postgres = PostgresTicks(postmaster);

    public (double Bench, double Postgres) PerOp(int ops)
    {
        var bench = Process.GetCurrentProcess().TotalProcessorTime;
        var postgres = PostgresTicks(postmaster);
        var result = ((bench - _bench).TotalMilliseconds / ops, (postgres - _postgres) * TickMs / ops);
        (_bench, _postgres) = (bench, postgres);
        return result;
    }

    static double PostgresTicks(int postmaster)
    {
        double ticks = 0;
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields from 3 (state) on
                if (pid != postmaster && int.Parse(fields[1]) != postmaster) continue;
                ticks += double.Parse(fields[11]) + double.Parse(fields[12]); // utime, stime
            }
            catch (IOException) { } // gone meanwhile
        }
        return ticks;
    }
}

sealed class Talker(Client client, string roomId)
{
    public const string P = "/_matrix/client/unstable/org.matrix.msc4002";
    readonly string _room = Uri.EscapeDataString(roomId);

    public async Task<long> RequestAsync()
    {
        var answer = await client.PostAsync($"{P}/rooms/{_room}/floor/request", new { priority = "normal" });
        if (answer["result"]?.GetValue<string>() != "granted") throw new InvalidOperationException($"not granted: {answer}");
        return answer["epoch"]!.GetValue<long>();
    }

    public Task ReleaseAsync(long epoch) => client.PostAsync($"{P}/rooms/{_room}/floor/release", new { epoch });

    public async Task TalkAsync() => await ReleaseAsync(await RequestAsync());
}

sealed class Client(HttpClient http)
{
    public static async Task<Client> RegisterAsync(Uri server, string prefix)
    {
        var http = new HttpClient { BaseAddress = server };
        var username = $"{prefix}{Guid.NewGuid():N}"[..20];
        var first = await http.PostAsJsonAsync("/_matrix/client/v3/register", new { username, password = "bench" });
        var session = (await first.Content.ReadFromJsonAsync<JsonObject>())!["session"]!.GetValue<string>();
        var second = await http.PostAsJsonAsync("/_matrix/client/v3/register",
            new { username, password = "bench", auth = new { type = "m.login.dummy", session } });
        var body = (await second.Content.ReadFromJsonAsync<JsonObject>())!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body["access_token"]!.GetValue<string>());
        return new Client(http);
    }

    public async Task<JsonObject> PostAsync(string path, object body) => await Read(await http.PostAsJsonAsync(path, body));
    public async Task<JsonObject> PutAsync(string path, object body) => await Read(await http.PutAsJsonAsync(path, body));

    static async Task<JsonObject> Read(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
