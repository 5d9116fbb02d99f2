namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>A room alias (Marten document, id = "#alias:server"); aliases here are local.</summary>
public sealed record RoomAlias(string Id, string RoomId, string CreatedBy)
{
    public static async Task SetAsync(IQuerySession query, string alias, string roomId, string userId, CancellationToken ct)
    {
        await using var session = query.DocumentStore.LightweightSession();
        session.Insert(new RoomAlias(alias, roomId, userId));
        await session.SaveChangesAsync(ct);
    }

    public static async Task<string?> ResolveAsync(IQuerySession query, string roomIdOrAlias, CancellationToken ct) =>
        roomIdOrAlias.StartsWith('#') ? (await query.LoadAsync<RoomAlias>(roomIdOrAlias, ct))?.RoomId : roomIdOrAlias;
}
