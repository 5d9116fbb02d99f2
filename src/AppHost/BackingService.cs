using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using WalkieTalkie.LocalPostgres;

namespace WalkieTalkie.AppHost;

/// <summary>A service the server needs (PostgreSQL, NATS): the connection-string resource and the resource to wait for.</summary>
public sealed record BackingService(IResourceBuilder<IResourceWithConnectionString> Resource, IResourceBuilder<IResource> WaitTarget);

/// <summary>How to run a backing service from this machine's binaries: the command, its connection string, when it is ready.</summary>
public sealed record LocalExecutable(string Name, string File, string WorkingDirectory, string[] Args, string ConnectionString,
    Func<CancellationToken, Task> WaitReadyAsync);

public static class BackingServices
{
    /// <summary>
    /// ConnectionStrings:{name} given → that; a Docker engine answers (or publishing: a manifest always describes the
    /// container) → <paramref name="container"/>; else <paramref name="local"/>, healthy once it answers.
    /// </summary>
    public static BackingService AddBackingService(this IDistributedApplicationBuilder builder, string name,
        Func<BackingService> container, Func<LocalExecutable> local)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            var given = builder.AddConnectionString(name);
            return new(given, given);
        }

        if (builder.ExecutionContext.IsPublishMode || DockerEngine.IsReachable(TimeSpan.FromSeconds(2))) return container();

        var executable = local();
        var healthCheck = $"{name}-{executable.Name}-ready";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, async ct =>
        {
            try
            {
                await executable.WaitReadyAsync(ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
        });
        var process = builder.AddExecutable(executable.Name, executable.File, executable.WorkingDirectory, executable.Args)
            .WithHealthCheck(healthCheck);
        var connection = builder.AddConnectionString(name, ReferenceExpression.Create($"{executable.ConnectionString}"));
        return new(connection, process);
    }
}
