using WalkieTalkie.LocalPostgres;

namespace WalkieTalkie.AppHost;

public static class WalkieDatabaseExtensions
{
    /// <summary>The database: Aspire's PostgreSQL container, or PostgreSQL from this machine's binaries.</summary>
    public static BackingService AddWalkieDatabase(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddBackingService(name,
            () =>
            {
                var database = builder.AddPostgres("postgres").WithDataVolume("walkietalkie-postgres-data").AddDatabase(name);
                return new(database, database);
            },
            () => LocalPostgres(name));

    /// <summary>Data kept in the per-user state folder between runs, on a free port.</summary>
    static LocalExecutable LocalPostgres(string name)
    {
        var cluster = new PostgresCluster(PostgresBinaries.Locate(Console.WriteLine), Path.Combine(StateFolder.Root, "pgdata"));
        if (!cluster.IsInitialized)
            Console.WriteLine($"Creating the local PostgreSQL cluster in {cluster.DataDir}");
        cluster.Initialize();

        var port = PostgresCluster.FreePort();
        var (file, args) = cluster.ServerCommand(port, durable: true);
        Console.WriteLine($"PostgreSQL (local binaries, no Docker engine): {cluster.BinDir}, data {cluster.DataDir}, port {port}");
        return new("postgres", file, cluster.DataDir, args, PostgresCluster.ConnectionString(port, name),
            ct => PostgresCluster.WaitAndEnsureDatabaseAsync(port, name, TimeSpan.Zero, ct));
    }
}
