using System.Diagnostics;
using WalkieTalkie.Bench;

// Consent setup cost (issue 13): one walkie room, N devices of U users, every device consents (PUT …/consent, 8 at a
// time). Baseline in the same run: the same N devices' PUT of a non-state account-data event (one authenticated write
// that touches no room), so the consent's own cost shows beside a plain request's. Server = its own OS process.
//   dotnet run -c Release --project bench/Consent.Bench -- [--devices 1000] [--users 10]
var devices = Option("devices", 1000);
var users = Option("users", 10);

Console.WriteLine($"machine: {Machine.Describe()}; load average before: {Machine.LoadAverage()}");
await using var postgres = await BenchPostgres.StartAsync(durable: true);
await using var server = await ServerProcess.StartAsync(postgres.ConnectionString);
using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
// Warm-up, untimed: a small room of its own (JIT, Wolverine's generated handlers, connection pool).
var (warmRoom, _, warmDevices) = await ConsentSetup.PrepareAsync(http, 40, 4);
await ConsentSetup.ConsentAsync(warmRoom, warmDevices, Cpu);
var (roomId, _, created) = await ConsentSetup.PrepareAsync(http, devices, users);
// In halves: with a cost per consent that grows with the room, the second half is the slower one.
var first = await ConsentSetup.ConsentAsync(roomId, created[..(devices / 2)], Cpu);
var second = await ConsentSetup.ConsentAsync(roomId, created[(devices / 2)..], Cpu);
var consent = new ConsentSetup.Result(devices, first.Seconds + second.Seconds, first.CpuSeconds + second.CpuSeconds);

var cpu = Cpu();
var watch = Stopwatch.StartNew();
await Parallel.ForEachAsync(created, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (device, _) =>
    await device.PutAsync($"/_matrix/client/v3/user/{Uri.EscapeDataString(device.UserId)}/account_data/bench.{device.DeviceId}", new { n = 1 }));
var baseline = new ConsentSetup.Result(devices, watch.Elapsed.TotalSeconds, (Cpu() - cpu).TotalSeconds);

Console.WriteLine();
Console.WriteLine("| measurement | devices | wall s | ms each | server CPU s |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
Row("baseline: PUT account data", baseline);
Row("PUT consent (one room), first half", first);
Row("PUT consent (one room), second half", second);
Row("PUT consent (one room), all", consent);
Console.WriteLine($"load average after: {Machine.LoadAverage()}");

static void Row(string name, ConsentSetup.Result r) =>
    Console.WriteLine($"| {name} | {r.Devices} | {r.Seconds:F2} | {r.Seconds * 1000 / r.Devices:F2} | {r.CpuSeconds:F2} |");

TimeSpan Cpu() => Process.GetProcessById(server.Id).TotalProcessorTime;

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}
