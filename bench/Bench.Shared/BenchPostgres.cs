using System.Diagnostics;
using Npgsql;
using WalkieTalkie.LocalPostgres;

namespace WalkieTalkie.Bench;

/// <summary>A throwaway PostgreSQL cluster from local binaries (src/LocalPostgres), deleted on dispose.</summary>
public sealed class BenchPostgres : IAsyncDisposable
{
    readonly string _root;

    public Process Process { get; }
    public string ConnectionString { get; }
    /// <summary>fsync, synchronous_commit and full_page_writes on: commits are real.</summary>
    public bool Durable { get; }

    BenchPostgres(string root, Process process, string connectionString, bool durable)
    {
        _root = root;
        Process = process;
        ConnectionString = connectionString;
        Durable = durable;
    }

    public static async Task<BenchPostgres> StartAsync(bool durable = true, string database = "walkie")
    {
        var root = Directory.CreateTempSubdirectory("walkie-bench-pg-").FullName;
        var cluster = new PostgresCluster(PostgresBinaries.Locate(Console.Error.WriteLine), Path.Combine(root, "data"));
        cluster.Initialize();
        var port = PostgresCluster.FreePort();
        var process = cluster.Start(port, durable);
        try
        {
            await PostgresCluster.WaitAndEnsureDatabaseAsync(port, database, TimeSpan.FromSeconds(30));
            return new BenchPostgres(root, process, PostgresCluster.ConnectionString(port, database), durable);
        }
        catch
        {
            PostgresCluster.Stop(process, TimeSpan.FromSeconds(10));
            Directory.Delete(root, recursive: true);
            throw;
        }
    }

    /// <summary>A server setting as the running server reports it (<c>SHOW</c>), e.g. server_version or fsync.</summary>
    public async Task<string> ShowAsync(string setting)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var show = new NpgsqlCommand($"show {setting}", connection);
        return (string)(await show.ExecuteScalarAsync())!;
    }

    public ValueTask DisposeAsync()
    {
        PostgresCluster.Stop(Process, TimeSpan.FromSeconds(10));
        Process.Dispose();
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
