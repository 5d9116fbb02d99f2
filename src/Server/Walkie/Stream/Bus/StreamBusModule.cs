namespace WalkieTalkie.Server.Walkie.Stream.Bus;

public static class StreamBusModule
{
    /// <summary>The connection string of the NATS server that carries audio between processes (absent: NOTIFY).</summary>
    public const string NatsConnection = "nats";

    /// <summary>
    /// Presence, the remote-stream dispatcher and, with <c>ConnectionStrings:nats</c>, the NATS audio transport. Hosted
    /// in this order: the relay is attached before presence counts and before any transport delivers.
    /// </summary>
    public static IServiceCollection AddStreamBus(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<RemoteStream>();
        services.AddHostedService<RemoteStream.HubAttachment>();
        services.AddSingleton<PeerPresence>();
        services.AddHostedService(sp => sp.GetRequiredService<PeerPresence>());
        if (configuration.GetConnectionString(NatsConnection) is { Length: > 0 } url)
        {
            services.AddSingleton(sp => ActivatorUtilities.CreateInstance<NatsAudio>(sp, url, sp.GetRequiredService<PeerPresence>().Instance));
            services.AddHostedService(sp => sp.GetRequiredService<NatsAudio>());
        }
        return services;
    }
}
