using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using WalkieTalkie.LocalPostgres;

namespace WalkieTalkie.AppHost;

/// <summary>The database resource and the resource to wait for before the server starts.</summary>
public sealed record WalkieDatabase(IResourceBuilder<IResourceWithConnectionString> Resource, IResourceBuilder<IResource> WaitTarget);

public static class WalkieDatabaseExtensions
{
    public static WalkieDatabase AddWalkieDatabase(this IDistributedApplicationBuilder builder, string name)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            var given = builder.AddConnectionString(name);
            return new(given, given);
        }

        // A published manifest always describes the container; local binaries are a run-time fallback.
        if (builder.ExecutionContext.IsPublishMode || DockerEngine.IsReachable(TimeSpan.FromSeconds(2)))
        {
            var database = builder.AddPostgres("postgres").WithDataVolume("walkietalkie-postgres-data").AddDatabase(name);
            return new(database, database);
        }

        return builder.AddLocalPostgres(name);
    }

    /// <summary>
    /// No Docker engine: run PostgreSQL from this machine's binaries, data kept in the per-user state folder
    /// between runs, on a free port; the server gets the connection string once the database answers.
    /// </summary>
    static WalkieDatabase AddLocalPostgres(this IDistributedApplicationBuilder builder, string name)
    {
        var cluster = new PostgresCluster(
            PostgresBinaries.Locate(Console.WriteLine),
            Path.Combine(StateFolder.Root, "pgdata"));
        if (!cluster.IsInitialized)
            Console.WriteLine($"Creating the local PostgreSQL cluster in {cluster.DataDir}");
        cluster.Initialize();

        var port = PostgresCluster.FreePort();
        var (file, args) = cluster.ServerCommand(port, durable: true);
        var connectionString = PostgresCluster.ConnectionString(port, name);
        Console.WriteLine($"PostgreSQL (local binaries, no Docker engine): {cluster.BinDir}, data {cluster.DataDir}, port {port}");

        var healthCheck = $"{name}-postgres-ready";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, async ct =>
        {
            try
            {
                await PostgresCluster.WaitAndEnsureDatabaseAsync(port, name, TimeSpan.Zero, ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
        });

        var postgres = builder.AddExecutable("postgres", file, cluster.DataDir, args)
            .WithHealthCheck(healthCheck);
        var connection = builder.AddConnectionString(name, ReferenceExpression.Create($"{connectionString}"));
        return new(connection, postgres);
    }
}
