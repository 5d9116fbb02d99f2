namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>Rooms over federation: the event graph and PDU documents; the endpoints of the server-server room API.</summary>
public static class FederationRoomsModule
{
    public static IServiceCollection AddFederationRooms(this IServiceCollection services) =>
        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<RoomDag>();
            opts.Schema.For<StoredPdu>().Index(p => p.RoomId);
        });
}
