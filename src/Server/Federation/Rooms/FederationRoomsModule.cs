namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>Rooms over federation: the event graph and PDU documents; the endpoints of the server-server room API.</summary>
public static class FederationRoomsModule
{
    public static IServiceCollection AddFederationRooms(this IServiceCollection services)
    {
        services.AddSingleton<PduVerifier>();
        services.AddScoped<RemoteEvents>();
        services.AddScoped<RemoteJoin>();
        services.AddScoped<RemoteInvite>();
        // After AddFederation's placeholder: the last registration wins.
        services.AddSingleton<Receiving.IIncomingPdus, IncomingPdus>();
        return services.ConfigureMarten(opts =>
        {
            opts.Schema.For<RoomDag>();
            opts.Schema.For<StoredPdu>().Index(p => p.RoomId);
        });
    }

    public static void MapFederationRooms(this RouteGroupBuilder federation)
    {
        federation.MapMakeMembership();
        federation.MapSendMembership();
        federation.MapQueryDirectory();
        federation.MapGetEvent();
        federation.MapGetState();
        federation.MapBackfill();
        federation.MapGetMissingEvents();
        federation.MapInvite();
    }
}
