using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using WalkieTalkie.Server.Matrix.Rooms;

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
        var reachable = FloorHost.IsLocal(host, matrix.Value.ServerName) || forwarder.IsReachable(host);
        return TypedResults.Ok(FloorView.From(FloorSnapshot.FloorOf(await floor)) with
            { FloorHost = host, FloorHostReachable = reachable ? null : false });
    }
}
