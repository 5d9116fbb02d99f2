using WalkieTalkie.Server.Federation.Edus;

namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>PUT /rooms/{roomId}/typing/{userId}: your own typing state in a room you are joined to, for up to 120 s.</summary>
public static class SetTyping
{
    public sealed record Request(bool? Typing, long? Timeout) : IMatrixRequest<Request>;

    public static void MapSetTyping(this RouteGroupBuilder v3) =>
        v3.MapPut("/rooms/{roomId}/typing/{userId}", Handle).RequireAccessToken();

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(string roomId, string userId, Request body, HttpContext http, IQuerySession q,
        EphemeralBoard board, EphemeralSender federation, CancellationToken ct)
    {
        if (userId != http.Device().UserId) return MatrixError.Forbidden("You can only set your own typing state").ToTypedResult();
        var (_, error) = await ReadRoom.ReadableAsync(q, roomId, userId, ct);
        if (error is not null) return error.ToTypedResult();
        if (body.Typing is not { } typing) return MatrixError.BadJson("`typing` must be a boolean").ToTypedResult();
        var timeout = body.Timeout is { } ms ? Math.Clamp(ms, 0, 120_000) : 30_000;
        await board.SetTypingAsync(roomId, userId, typing, TimeSpan.FromMilliseconds(timeout));
        await federation.TypingAsync(roomId, userId, typing, ct); // to the other servers in the room, as m.typing
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
