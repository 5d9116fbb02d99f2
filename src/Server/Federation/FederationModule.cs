using WalkieTalkie.Server.Federation.Edus;
using WalkieTalkie.Server.Federation.Keys;
using WalkieTalkie.Server.Federation.Media;
using WalkieTalkie.Server.Federation.Queries;
using WalkieTalkie.Server.Federation.Receiving;
using WalkieTalkie.Server.Federation.Rooms;
using WalkieTalkie.Server.Federation.Sending;
using WalkieTalkie.Server.Federation.Versions;

namespace WalkieTalkie.Server.Federation;

/// <summary>Server-server API: signing keys, request signing, transactions, queries.</summary>
public static class FederationModule
{
    public static IServiceCollection AddFederation(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<FederationOptions>(configuration.GetSection(FederationOptions.Section));
        services.AddSingleton<ServerSigningKeys>();
        services.AddSingleton<PeerKeys>();
        services.AddSingleton<Destinations>();
        services.AddSingleton<FederationClient>();
        services.AddSingleton<TransactionSender>();
        services.AddHostedService(sp => sp.GetRequiredService<TransactionSender>());
        services.AddSingleton<FederationSender>();
        services.AddSingleton<RemoteKeys>();
        services.AddSingleton<RemoteProfiles>();
        services.AddSingleton<RemoteMedia>();
        services.AddSingleton<IIncomingPdus, NoRoomPdus>();
        services.AddSingleton<IIncomingEdu, TypingEdu>();
        services.AddSingleton<IIncomingEdu, ReceiptEdu>();
        services.AddSingleton<IIncomingEdu, DirectToDeviceEdu>();
        foreach (var eduType in DeviceKeysChangedEdu.Types)
            services.AddSingleton<IIncomingEdu>(sp => new DeviceKeysChangedEdu(eduType, sp.GetRequiredService<IDocumentStore>(), sp.GetRequiredService<TimeProvider>()));
        // The rooms part may register its own (servers in the room's state) after this one.
        services.AddSingleton<IRoomServers, MemberServers>();
        services.AddHostedService<DeviceListBroadcaster>();
        services.AddSingleton<EphemeralSender>();
        services.AddFederationRooms();
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt out.
        // The outgoing queue retries with its own back-off; the default handler's retries would only delay that.
        services.AddHttpClient(FederationClient.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(60)).RemoveAllResilienceHandlers();
        services.AddHttpClient(Destinations.WellKnownClient, c => c.Timeout = TimeSpan.FromSeconds(10)).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<StoredSigningKey>();
            opts.Schema.For<OldVerifyKey>();
            opts.Schema.For<CachedServerKeys>();
            opts.Schema.For<OutgoingItem>().Index(i => i.Destination);
            opts.Schema.For<ReceivedTransaction>();
            opts.Schema.For<DeviceListCursor>();
            opts.Schema.For<RemoteMediaFile>();
        });
        return services;
    }

    public static void MapFederation(this WebApplication app)
    {
        app.MapGetServerKey();
        app.MapQueryServerKeys();
        app.MapGetFederationVersion();
        var federation = app.MapGroup(FederationAuth.Prefix);
        federation.MapQueryProfile();
        federation.MapReceiveTransaction();
        federation.MapUserKeys();
        federation.MapFederationMediaDownload();
        federation.MapFederationRooms();
    }
}
