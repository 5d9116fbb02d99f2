using System.Diagnostics;
using WalkieTalkie.LocalPostgres;

namespace WalkieTalkie.Bench;

/// <summary>
/// A second WalkieServer as its own OS process (<c>dotnet WalkieTalkie.Server.dll</c>, as PROTOCOL.md runs it) on the
/// same database, so two processes decide one room's floor. Its output is drained (kept only for a failed start).
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    readonly Process _process;

    public Uri BaseAddress { get; }
    public int Id => _process.Id;

    ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    /// <param name="settings">Extra environment, e.g. <c>ConnectionStrings__nats</c>.</param>
    public static async Task<ServerProcess> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = PostgresCluster.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(ServerDll());
        psi.Environment["ConnectionStrings__walkie"] = connectionString;
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Passwords__Iterations"] = "1000";
        psi.Environment["DOTNET_gcServer"] = "1";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        var process = Process.Start(psi)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null && output.Count < 200) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null && output.Count < 200) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var address = new Uri($"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited) break;
            try
            {
                using var answer = await http.GetAsync("/_matrix/client/versions");
                if (answer.IsSuccessStatusCode) return new ServerProcess(process, address);
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        throw new InvalidOperationException($"the server process did not answer on {address}:\n{string.Join('\n', output)}");
    }

    /// <summary>The Server project's own build output, of the configuration this bench was built in.</summary>
    static string ServerDll()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // …/bin/<Configuration>/net10.0
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "src", "Server", "bin", configuration, "net10.0", "WalkieTalkie.Server.dll");
            if (File.Exists(dll)) return dll;
        }
        throw new FileNotFoundException($"src/Server/bin/{configuration}/net10.0/WalkieTalkie.Server.dll not found above {AppContext.BaseDirectory}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
