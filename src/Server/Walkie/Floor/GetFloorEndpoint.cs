namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>GET $P/rooms/{roomId}/floor → the <see cref="FloorView"/>, read from the committed floor snapshot.</summary>
public static class GetFloorEndpoint
{
    public static void MapGetFloor(this RouteGroupBuilder msc4002) => msc4002.MapGet("/rooms/{roomId}/floor", Handle);

    static async Task<Ok<FloorView>> Handle(string roomId, HttpContext http, IQuerySession query, FloorForwarder forwarder,
        IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        var batch = query.CreateBatchQuery();
        var room = batch.Load<RoomState>(roomId);
        var floor = batch.Load<FloorSnapshot>(FloorStream.Id(roomId));
        await batch.Execute(ct);
        var config = WalkieAccess.RequireEnabledMember(await room, http.Device().UserId);
        var host = FloorHost.Of((await room)!, config);
        var view = FloorView.From(FloorSnapshot.FloorOf(await floor));
        if (FloorHost.IsLocal(host, matrix.Value.ServerName)) return TypedResults.Ok(view);
        return TypedResults.Ok(view with { FloorHost = host, FloorHostReachable = forwarder.IsReachable(host) ? null : false });
    }
}
