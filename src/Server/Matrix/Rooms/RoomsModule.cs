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
        v3.MapJoinRoom();
        v3.MapLeaveRoom();
        v3.MapChangeMembership();
        v3.MapSendEvent();
        v3.MapSetRoomState();
        v3.MapGetRoomState();
        v3.MapGetMembers();
        v3.MapGetEvent();
        v3.MapGetJoinedRooms();
        v3.MapMessages();
        v3.MapRedactEvent();
        v3.MapSetTyping();
        v3.MapSendReceipt();
        v3.MapGetRoomIdByAlias();
        v3.MapSetRoomAlias();
        v3.MapDeleteRoomAlias();
    }
}
