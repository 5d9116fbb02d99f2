namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>Spec modules "Rooms", "Room membership", "Events", "Typing", "Receipts", "Room aliases".</summary>
public static class RoomsModule
{
    public static IServiceCollection AddRooms(this IServiceCollection services)
    {
        services.ConfigureMarten(opts => opts.Schema.For<RoomStateEntry>().Index(e => e.RoomId));
        return services.AddScoped<RoomWriter>();
    }

    public static void MapRooms(this RouteGroupBuilder v3)
    {
        v3.MapCreateRoom();
        v3.MapMembership();
        v3.MapSendEvent();
        v3.MapReadRoom();
        v3.MapMessages();
        v3.MapRedact();
        v3.MapEphemeral();
        v3.MapAliases();
    }
}
