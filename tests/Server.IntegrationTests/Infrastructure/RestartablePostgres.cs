using System.Diagnostics;
using WalkieTalkie.LocalPostgres;

namespace WalkieTalkie.Server.IntegrationTests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of one test's own (never the shared one) that can be stopped and started again on the same
/// port and data folder, as an operator's restart would.
/// </summary>
public sealed class RestartablePostgres : IAsyncDisposable
{
    const string Database = "walkie";
    readonly PostgresCluster _cluster;
    readonly string _root;
    Process? _process;

    public int Port { get; }
    public string ConnectionString => PostgresCluster.ConnectionString(Port, Database);

    RestartablePostgres(PostgresCluster cluster, string root, int port)
    {
        _cluster = cluster;
        _root = root;
        Port = port;
    }

    public static async Task<RestartablePostgres> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("walkie-tests-restart-pg-").FullName;
        var cluster = new PostgresCluster(PostgresBinaries.Locate(Console.WriteLine), Path.Combine(root, "data"));
        cluster.Initialize();
        var postgres = new RestartablePostgres(cluster, root, PostgresCluster.FreePort());
        await postgres.StartAgainAsync();
        return postgres;
    }

    /// <summary>Fast shutdown: open sessions are ended, as in a real restart.</summary>
    public void Stop()
    {
        if (_process is null) return;
        PostgresCluster.Stop(_process, TimeSpan.FromSeconds(20));
        _process = null;
    }

    public async Task StartAgainAsync()
    {
        _process = _cluster.Start(Port, durable: false);
        await PostgresCluster.WaitAndEnsureDatabaseAsync(Port, Database, TimeSpan.FromSeconds(60));
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }
}
