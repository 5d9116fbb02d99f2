using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Npgsql;

namespace WalkieTalkie.LocalPostgres;

/// <summary>
/// A PostgreSQL cluster in a folder of ours, run from local binaries. initdb and postgres refuse to run
/// as root, so as root they run as the `postgres` user (or `nobody`) through setpriv, which execs in place:
/// the postgres process is our direct child and a signal to it stops the server.
/// </summary>
public sealed class PostgresCluster
{
    public string BinDir { get; }
    public string DataDir { get; }
    public string SocketDir => DataDir + "-sockets";

    public PostgresCluster(string binDir, string dataDir)
    {
        BinDir = binDir;
        DataDir = dataDir;
    }

    public bool IsInitialized => File.Exists(Path.Combine(DataDir, "PG_VERSION"));

    /// <summary>The account the server runs under when we are root, else null (ourselves).</summary>
    public static string? ServiceUser => !IsRoot ? null : UserExists("postgres") ? "postgres" : "nobody";

    static bool IsRoot => geteuid() == 0;

    public void Initialize()
    {
        Directory.CreateDirectory(SocketDir);
        GiveToServiceUser(SocketDir);
        if (IsInitialized)
        {
            // postgres refuses a data directory that others can enter.
            File.SetUnixFileMode(DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return;
        }
        Directory.CreateDirectory(DataDir);
        GiveToServiceUser(DataDir);
        var (file, args) = AsServiceUser(Path.Combine(BinDir, "initdb"),
            ["-D", DataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
        PostgresBinaries.Run(file, args, $"initdb failed in {DataDir}");
    }

    /// <summary>The command line that runs the server in the foreground (for us or for an orchestrator).</summary>
    public (string File, string[] Args) ServerCommand(int port, bool durable) => AsServiceUser(
        Path.Combine(BinDir, "postgres"),
        [
            "-D", DataDir, "-p", port.ToString(), "-h", "127.0.0.1", "-k", SocketDir,
            "-c", "max_connections=300",
            // Throwaway clusters trade crash safety for speed; the dev stack keeps it.
            "-c", $"fsync={(durable ? "on" : "off")}",
            "-c", $"synchronous_commit={(durable ? "on" : "off")}",
            "-c", $"full_page_writes={(durable ? "on" : "off")}",
        ]);

    public Process Start(int port, bool durable)
    {
        var (file, args) = ServerCommand(port, durable);
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new LocalPostgresException("could not start postgres");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Fast shutdown (SIGINT): rolls back open transactions and exits cleanly.</summary>
    public static void Stop(Process process, TimeSpan timeout)
    {
        if (process.HasExited) return;
        _ = kill(process.Id, 2);
        if (!process.WaitForExit(timeout)) process.Kill(entireProcessTree: true);
    }

    public static string ConnectionString(int port, string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Database = database, Username = "postgres",
            MaxPoolSize = 100,
        }.ConnectionString;

    /// <summary>Waits until the server answers, then creates the database if it is missing.</summary>
    public static async Task WaitAndEnsureDatabaseAsync(int port, string database, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await using var conn = new NpgsqlConnection(ConnectionString(port, "postgres") + ";Pooling=false");
                await conn.OpenAsync(ct);
                await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @n", conn);
                exists.Parameters.AddWithValue("n", database);
                if (await exists.ExecuteScalarAsync(ct) is null)
                {
                    await using var create = new NpgsqlCommand($"create database \"{database}\"", conn);
                    await create.ExecuteNonQueryAsync(ct);
                }
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    (string, string[]) AsServiceUser(string file, string[] args) => ServiceUser is { } user
        ? ("setpriv", [$"--reuid={user}", $"--regid={user}", "--init-groups", "--reset-env", file, .. args])
        : (file, args);

    static void GiveToServiceUser(string path)
    {
        if (ServiceUser is not { } user) return;
        PostgresBinaries.Run("chown", ["-R", $"{user}:", path], $"could not give {path} to {user}");
        PostgresBinaries.Run("chmod", ["700", path], $"could not chmod {path}");
        MakeReachable(Path.GetDirectoryName(path));
    }

    /// <summary>As root, lets the service user traverse (not list) every parent of <paramref name="path"/>.</summary>
    public static void MakeReachable(string? path)
    {
        if (ServiceUser is null) return;
        for (var dir = path; dir is not null and not "/"; dir = Path.GetDirectoryName(dir))
        {
            var mode = File.GetUnixFileMode(dir);
            if (!mode.HasFlag(UnixFileMode.OtherExecute)) File.SetUnixFileMode(dir, mode | UnixFileMode.OtherExecute);
        }
    }

    static bool UserExists(string name) =>
        File.ReadLines("/etc/passwd").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal));

    [DllImport("libc", SetLastError = true)] static extern uint geteuid();
    [DllImport("libc", SetLastError = true)] static extern int kill(int pid, int sig);
}
