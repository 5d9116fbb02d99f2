namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>GET /_matrix/federation/v1/event/{eventId}: one PDU, as a transaction, of a room the requesting server may read.</summary>
public static class GetEvent
{
    public static void MapGetEvent(this RouteGroupBuilder federation) => federation.MapGet("/v1/event/{eventId}", Handle);

    static async Task<Results<Ok<PduTransaction>, JsonHttpResult<MatrixError>>> Handle(string eventId, HttpContext http, IQuerySession q,
        TimeProvider clock, IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        if (await q.LoadAsync<StoredPdu>(eventId, ct) is not { } pdu) return MatrixError.NotFound("Unknown event").ToTypedResult();
        if (await RoomReads.RefusalAsync(q, pdu.RoomId, http, ct) is { } refusal) return refusal.ToTypedResult();
        return TypedResults.Ok(PduTransaction.Of(matrix.Value.ServerName, clock, [pdu]));
    }
}
