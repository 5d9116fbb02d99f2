using WalkieTalkie.Server.Walkie.Config;
using WalkieTalkie.Server.Walkie.Consent;
using WalkieTalkie.Server.Walkie.Floor;
using WalkieTalkie.Server.Walkie.Stream;
using WalkieTalkie.Server.Walkie.Stream.Servers;
using WalkieTalkie.Server.Walkie.Recording;

namespace WalkieTalkie.Server.Walkie;

/// <summary>MSC4002 walkie-talkie: room configuration, consent, floor control under <c>/_matrix/client/unstable/org.matrix.msc4002</c>.</summary>
public static class WalkieModule
{
    public const string Prefix = "/_matrix/client/unstable/org.matrix.msc4002";

    public static IServiceCollection AddWalkie(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<FloorOptions>(configuration.GetSection(FloorOptions.Section));
        services.AddSingleton<IStateEventValidator, WalkieConfigValidator>();
        services.AddSingleton<TimerScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<TimerScheduler>());
        services.AddSingleton<IMediaActivity, MediaActivity>();
        // First of the floor listeners: before a device hears of a grant, this server knows whose server's frames to take.
        services.AddSingleton<ServerAudio>();
        services.AddSingleton<IFloorChangeListener>(sp => sp.GetRequiredService<ServerAudio>());
        services.AddSingleton<IFloorChangeListener, PublishFloorToSync>();
        services.AddSingleton<FloorChangeFeed>();
        services.AddHostedService<FloorChangeDispatcher>();
        services.AddSingleton<Observability.FloorMetrics>();
        services.AddSingleton<FloorControl>();
        services.AddSingleton<FloorForwarder>();
        services.AddSingleton<WalkieTalkie.Server.Federation.Receiving.IIncomingEdu, FloorEduReceiver>();
        services.AddSingleton<ConsentService>();
        services.AddLiveStream(configuration);
        services.AddRecording(configuration);
        // Last of the floor listeners: the local streams and /sync hear of a change before the EDU is queued.
        services.AddSingleton<IFloorChangeListener, FloorEduSender>();

        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<FloorSnapshot>();
            opts.Schema.For<ConsentSnapshot>().Index(c => c.RoomId).Index(c => c.UserId);
            opts.Events.AddEventTypes([
                typeof(FloorRequested), typeof(FloorGranted), typeof(FloorDenied), typeof(FloorQueued), typeof(FloorLeftQueue),
                typeof(FloorReleased), typeof(FloorRevoked), typeof(FloorIdle),
                typeof(ConsentGiven), typeof(ConsentWithdrawn), typeof(ConsentExpired),
            ]);
        });
        return services;
    }

    public static void MapWalkie(this IEndpointRouteBuilder app)
    {
        var msc4002 = app.MapGroup(Prefix).RequireAccessToken();
        msc4002.MapGiveConsent();
        msc4002.MapWithdrawConsent();
        msc4002.MapRequestFloor();
        msc4002.MapReleaseFloor();
        msc4002.MapRevokeFloor();
        msc4002.MapGetFloor();
        msc4002.MapStream();
        app.MapForwardedFloor();
        app.MapServerAudio();
    }
}
