using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using WalkieTalkie.LocalNats;
using WalkieTalkie.LocalPostgres;

namespace WalkieTalkie.AppHost;

/// <summary>The NATS server that carries audio between server processes, and the resource to wait for.</summary>
public sealed record WalkieNats(IResourceBuilder<IResourceWithConnectionString> Resource, IResourceBuilder<IResource> WaitTarget);

public static class WalkieNatsExtensions
{
    /// <summary>As the database: ConnectionStrings:nats given → that; Docker engine (or publishing) → the container; else nats-server.</summary>
    public static WalkieNats AddWalkieNats(this IDistributedApplicationBuilder builder, string name)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            var given = builder.AddConnectionString(name);
            return new(given, given);
        }

        if (builder.ExecutionContext.IsPublishMode || DockerEngine.IsReachable(TimeSpan.FromSeconds(2)))
        {
            // Aspire.Hosting.Nats is not served here: a plain container with its client port.
            var container = builder.AddContainer("nats-server", "nats", "2.10").WithEndpoint(targetPort: 4222, name: "tcp", scheme: "tcp");
            var endpoint = container.GetEndpoint("tcp");
            var url = builder.AddConnectionString(name,
                ReferenceExpression.Create($"nats://{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}"));
            return new(url, container);
        }

        return builder.AddLocalNats(name);
    }

    /// <summary>No Docker engine: Debian's nats-server in the foreground on a free port, healthy once it greets.</summary>
    static WalkieNats AddLocalNats(this IDistributedApplicationBuilder builder, string name)
    {
        var port = NatsServer.FreePort();
        var (file, args) = NatsServer.Command(port);
        Console.WriteLine($"NATS (local binary, no Docker engine): {file}, port {port}");

        var healthCheck = $"{name}-nats-ready";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, async ct =>
        {
            try
            {
                await NatsServer.WaitAsync(port, TimeSpan.Zero, ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
        });
        var server = builder.AddExecutable("nats-server", file, StateFolder.Root, args).WithHealthCheck(healthCheck);
        var url = builder.AddConnectionString(name, ReferenceExpression.Create($"{NatsServer.Url(port)}"));
        return new(url, server);
    }
}
