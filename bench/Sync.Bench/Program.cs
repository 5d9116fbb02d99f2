using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using WalkieTalkie.LocalPostgres;
using WalkieTalkie.Server;

// Send → other client's /sync latency over real HTTP against a real server and PostgreSQL, beside a baseline
// measured in the same run: a bare HTTP round trip to /versions on the same server.
var sends = args.Length > 0 ? int.Parse(args[0]) : 1000;
var root = Directory.CreateTempSubdirectory("walkie-bench-pg-").FullName;
var cluster = new PostgresCluster(PostgresBinaries.Locate(Console.WriteLine), Path.Combine(root, "data"));
cluster.Initialize();
var port = PostgresCluster.FreePort();
// Durable settings (fsync on): the figures include real commits.
using var postgres = cluster.Start(port, durable: true);
try
{
    await PostgresCluster.WaitAndEnsureDatabaseAsync(port, "walkie", TimeSpan.FromSeconds(30));
    var app = WalkieServer.Create([
        "--environment=Development", $"--ConnectionStrings:walkie={PostgresCluster.ConnectionString(port, "walkie")}",
        "--Logging:LogLevel:Default=Warning", "--Passwords:Iterations=1000", "--urls=http://127.0.0.1:0",
    ]);
    await app.StartAsync();
    var baseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    var alice = await Client.RegisterAsync(baseAddress, "alice");
    var bob = await Client.RegisterAsync(baseAddress, "bob");
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

    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {CpuModel()}, PostgreSQL fsync=on, {sends} sends");
    Console.WriteLine($"{"measurement",-44} {"p50 ms",8} {"p99 ms",8} {"max ms",8}");
    Print("baseline: GET /_matrix/client/versions", baseline);
    Print("send → other client's long-poll /sync", latencies);
    Console.WriteLine($"throughput (sequential send+deliver): {sends / total.Elapsed.TotalSeconds:F0}/s");
    await app.StopAsync();
}
finally
{
    PostgresCluster.Stop(postgres, TimeSpan.FromSeconds(10));
    Directory.Delete(root, recursive: true);
}

static async Task<string> SendAndAwait(Client alice, Client bob, string room, string since, string text)
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

static void Print(string name, List<double> values)
{
    values.Sort();
    double P(double q) => values[Math.Min(values.Count - 1, (int)Math.Ceiling(q * values.Count) - 1)];
    Console.WriteLine($"{name,-44} {P(0.50),8:F2} {P(0.99),8:F2} {values[^1],8:F2}");
}

static string CpuModel() =>
    File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?"
        : "?";

sealed class Client(HttpClient http, string userId)
{
    public string UserId { get; } = userId;

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
        return new Client(http, body["user_id"]!.GetValue<string>());
    }

    public async Task<JsonObject> GetAsync(string path) => await Read(await http.GetAsync(path));
    public async Task<JsonObject> PostAsync(string path, object body) => await Read(await http.PostAsJsonAsync(path, body));
    public async Task<JsonObject> PutAsync(string path, object body) => await Read(await http.PutAsJsonAsync(path, body));

    static async Task<JsonObject> Read(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
