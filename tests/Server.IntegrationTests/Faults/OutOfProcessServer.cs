using System.Collections.Concurrent;
using System.Diagnostics;
using WalkieTalkie.LocalPostgres;

namespace WalkieTalkie.Server.IntegrationTests.Faults;

/// <summary>
/// The built server as its own OS process (<c>dotnet WalkieTalkie.Server.dll</c>, PROTOCOL.md "Running the server"),
/// so it can die by SIGKILL with nothing of it left running; the in-process <see cref="WalkieHost"/> is the survivor.
/// </summary>
public sealed class OutOfProcessServer : IAsyncDisposable
{
    readonly Process _process;
    readonly ConcurrentQueue<string> _output;
    readonly string _mediaPath;

    public Uri BaseAddress { get; }
    public string Output => string.Join('\n', _output);

    OutOfProcessServer(Process process, ConcurrentQueue<string> output, Uri baseAddress, string mediaPath)
    {
        _process = process;
        _output = output;
        BaseAddress = baseAddress;
        _mediaPath = mediaPath;
    }

    public static async Task<OutOfProcessServer> StartAsync(string connectionString)
    {
        var port = PostgresCluster.FreePort();
        var mediaPath = Path.Combine(Path.GetTempPath(), $"walkie-tests-media-{Guid.NewGuid():N}");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(ServerDll());
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__walkie"] = connectionString, ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Development", ["Logging__LogLevel__Default"] = "Warning",
            ["Passwords__Iterations"] = "1000", ["Media__Path"] = mediaPath,
        };
        foreach (var (key, value) in settings) psi.Environment[key] = value;
        var process = Process.Start(psi)!;
        var output = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new OutOfProcessServer(process, output, new Uri($"http://127.0.0.1:{port}"), mediaPath);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var waited = Stopwatch.StartNew();
        while (!process.HasExited && waited.Elapsed < TimeSpan.FromMinutes(2))
        {
            try
            {
                if ((await http.GetAsync("/_matrix/client/versions")).IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        await server.DisposeAsync();
        throw new InvalidOperationException($"the server process did not answer on {server.BaseAddress}:\n{server.Output}");
    }

    /// <summary>SIGKILL: no shutdown code runs, open transactions and connections just end.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public MatrixTestClient As(MatrixTestClient client) => new(BaseAddress, client.UserId, client.DeviceId, client.AccessToken);

    /// <summary>The Server project's build output, in the configuration these tests were built in.</summary>
    static string ServerDll()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(RepositoryPaths.Root, "src", "Server", "bin", configuration, "net10.0", "WalkieTalkie.Server.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build the server first: {dll} is missing", dll);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
        if (Directory.Exists(_mediaPath)) Directory.Delete(_mediaPath, recursive: true);
    }
}
