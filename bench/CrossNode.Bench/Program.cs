using System.Diagnostics;
using WalkieTalkie.Bench;
using WalkieTalkie.Bench.CrossNode;

var devices = Option("devices", 1000);
var users = Option("users", 10);
await using var postgres = await BenchPostgres.StartAsync(durable: true);
var (app, baseAddress) = await BenchServer.StartAsync(postgres.ConnectionString);
using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(5) };
var (_, _, _, timing) = await ConsentSetup.RunAsync(http, devices, users, () => Process.GetCurrentProcess().TotalProcessorTime);
Console.WriteLine($"consent setup: {timing.Devices} devices in {timing.Seconds:F1} s, {timing.CpuSeconds:F1} s CPU");
await app.StopAsync();

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}
