using WalkieTalkie.Server.Walkie.Consent;
using WalkieTalkie.Server.Walkie.Floor;
using WalkieTalkie.Server.Walkie.Stream.Bus;

namespace WalkieTalkie.Server.Walkie.Stream;

public static class StreamModule
{
    public static IServiceCollection AddLiveStream(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<StreamOptions>(configuration.GetSection(StreamOptions.Section));
        services.AddSingleton<StreamMetrics>();
        services.AddSingleton(sp =>
        {
            var hub = ActivatorUtilities.CreateInstance<StreamHub>(sp);
            sp.GetRequiredService<StreamMetrics>().Observe(hub, sp.GetRequiredService<BurstTracker>());
            hub.ListenTo(sp.GetRequiredService<FloorForwarder>());
            return hub;
        });
        services.AddSingleton<IFloorChangeListener>(sp => sp.GetRequiredService<StreamHub>());
        services.AddSingleton<IConsentChangeListener>(sp => sp.GetRequiredService<StreamHub>());
        services.AddSingleton<BurstTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<BurstTracker>());
        services.AddStreamBus(configuration);
        services.AddSingleton<StreamSignals>();
        services.AddHostedService(sp => sp.GetRequiredService<StreamSignals>());
        services.AddSingleton<IPostgresNotificationHandler>(sp => new StreamSignals.Listener(sp.GetRequiredService<StreamSignals>(), StreamSignals.FloorChannel));
        services.AddSingleton<IPostgresNotificationHandler>(sp => new StreamSignals.Listener(sp.GetRequiredService<StreamSignals>(), StreamSignals.AudioChannel));
        services.ConfigureMarten(opts => opts.Events.AddEventTypes([typeof(BurstStarted), typeof(BurstEnded)]));
        return services;
    }
}
