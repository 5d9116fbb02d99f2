using Aspire.Hosting.ApplicationModel;
using WalkieTalkie.LocalNats;
using WalkieTalkie.LocalPostgres;

namespace WalkieTalkie.AppHost;

public static class WalkieNatsExtensions
{
    /// <summary>The NATS server that carries audio between server processes: a container, or Debian's nats-server.</summary>
    public static BackingService AddWalkieNats(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddBackingService(name,
            () =>
            {
                // Aspire.Hosting.Nats is not served here: a plain container with its client port.
                var container = builder.AddContainer("nats-server", "nats", "2.10").WithEndpoint(targetPort: 4222, name: "tcp", scheme: "tcp");
                var endpoint = container.GetEndpoint("tcp");
                var url = builder.AddConnectionString(name,
                    ReferenceExpression.Create($"nats://{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}"));
                return new(url, container);
            },
            () =>
            {
                // In the foreground on a free port, healthy once it greets.
                var port = NatsServer.FreePort();
                var (file, args) = NatsServer.Command(port);
                Console.WriteLine($"NATS (local binary, no Docker engine): {file}, port {port}");
                return new("nats-server", file, StateFolder.Root, args, NatsServer.Url(port), ct => NatsServer.WaitAsync(port, TimeSpan.Zero, ct));
            });
}
