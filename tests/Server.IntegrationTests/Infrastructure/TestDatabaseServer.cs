using System.Diagnostics;
using DotNet.Testcontainers.Configurations;
using Npgsql;
using Testcontainers.PostgreSql;
using WalkieTalkie.LocalPostgres;

namespace WalkieTalkie.Server.IntegrationTests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test run: a Testcontainers container where a Docker engine answers,
/// otherwise a throwaway cluster from local binaries in a temp folder, removed (process and folder) at the end.
/// </summary>
public sealed class TestDatabaseServer : IAsyncDisposable
{
    readonly PostgreSqlContainer? _container;
    readonly Process? _process;
    readonly string? _tempRoot;
    readonly string _adminConnectionString;

    public string Description { get; }

    TestDatabaseServer(string admin, string description, PostgreSqlContainer? container, Process? process, string? tempRoot)
    {
        _adminConnectionString = admin;
        Description = description;
        _container = container;
        _process = process;
        _tempRoot = tempRoot;
    }

    public static async Task<TestDatabaseServer> StartAsync()
    {
        if (TestcontainersSettings.OS.DockerEndpointAuthConfig is not null)
        {
            var container = new PostgreSqlBuilder("postgres:17-alpine").Build();
            await container.StartAsync();
            return new(container.GetConnectionString(), "Testcontainers postgres:17-alpine", container, null, null);
        }

        string binDir;
        try { binDir = PostgresBinaries.Locate(Console.WriteLine); }
        catch (LocalPostgresException e)
        {
            throw new InvalidOperationException(
                "Integration tests need PostgreSQL: no Docker engine answers (Testcontainers) and no local binaries were found. " +
                "Install them with `apt-get install -y postgresql`, or set WALKIE_PG_BIN to a folder holding initdb and postgres. " + e.Message, e);
        }

        var tempRoot = Directory.CreateTempSubdirectory("walkie-tests-pg-").FullName;
        var cluster = new PostgresCluster(binDir, Path.Combine(tempRoot, "data"));
        cluster.Initialize();
        var port = PostgresCluster.FreePort();
        var process = cluster.Start(port, durable: false);
        var server = new TestDatabaseServer(PostgresCluster.ConnectionString(port, "postgres"),
            $"local cluster {binDir} on port {port}", null, process, tempRoot);
        // Even if the runner exits without disposing fixtures, the cluster goes with it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.StopLocal();
        await PostgresCluster.WaitAndEnsureDatabaseAsync(port, "postgres", TimeSpan.FromSeconds(30));
        return server;
    }

    /// <summary>A fresh, empty database on this server; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var conn = new NpgsqlConnection(_adminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"drop database if exists \"{name}\" with (force); create database \"{name}\"", conn);
        await cmd.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name }.ConnectionString;
    }

    void StopLocal()
    {
        if (_process is not null) PostgresCluster.Stop(_process, TimeSpan.FromSeconds(10));
        if (_tempRoot is not null && Directory.Exists(_tempRoot)) Directory.Delete(_tempRoot, recursive: true);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_container is not null) await _container.DisposeAsync();
        StopLocal();
    }
}
