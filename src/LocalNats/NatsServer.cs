using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace WalkieTalkie.LocalNats;

/// <summary>
/// A NATS server from this machine's binary (Debian's <c>nats-server</c> package), for the AppHost without a Docker
/// engine and for tests: no state on disk, loopback only, the port chosen by the caller.
/// </summary>
public static class NatsServer
{
    /// <summary>The binary: WALKIE_NATS_SERVER, else Debian's /usr/sbin/nats-server, else the first on PATH.</summary>
    public static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("WALKIE_NATS_SERVER");
        if (!string.IsNullOrEmpty(fromEnv))
            return File.Exists(fromEnv) ? fromEnv : throw new FileNotFoundException($"WALKIE_NATS_SERVER={fromEnv} does not exist", fromEnv);
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "nats-server"));
        return new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server" }.Concat(onPath).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("nats-server is not installed. Install it with: apt-get install -y nats-server");
    }

    /// <summary>The command line of a server on <paramref name="port"/> (foreground, as AddExecutable runs it).</summary>
    public static (string File, string[] Args) Command(int port) => (Locate(), ["-a", "127.0.0.1", "-p", port.ToString()]);

    public static string Url(int port) => $"nats://127.0.0.1:{port}";

    public static Process Start(int port)
    {
        var (file, args) = Command(port);
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Waits until the server's port takes connections and greets with INFO.</summary>
    public static async Task WaitAsync(int port, TimeSpan timeout, CancellationToken ct = default)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, ct);
                var buffer = new byte[4];
                var read = await client.GetStream().ReadAsync(buffer, ct);
                if (read == 4 && System.Text.Encoding.ASCII.GetString(buffer) == "INFO") return;
            }
            catch (SocketException) when (waited.Elapsed < timeout) { }
            catch (IOException) when (waited.Elapsed < timeout) { }
            if (waited.Elapsed >= timeout) throw new TimeoutException($"nats-server did not answer on port {port} within {timeout}");
            await Task.Delay(50, ct);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
