using System.Globalization;

namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>GET /keys/changes?from=&amp;to=: users sharing a room whose device lists changed between two sync tokens.</summary>
public static class KeyChanges
{
    public sealed record Response(IReadOnlyList<string> Changed, IReadOnlyList<string> Left);

    public static void MapKeyChanges(this RouteGroupBuilder v3) =>
        v3.MapGet("/keys/changes", Handle).RequireAccessToken();

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(HttpContext http, string? from, string? to, IQuerySession session, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(from)) return MatrixError.MissingParam("Missing string query parameter: from").ToTypedResult();
        if (!TryParseSyncToken(from, out var since)) return MatrixError.InvalidParam($"Invalid sync token: {from}").ToTypedResult();
        // Synapse ignores `to` and reports everything after `from`; we honour it when given.
        var upto = long.MaxValue;
        if (!string.IsNullOrEmpty(to) && !TryParseSyncToken(to, out upto)) return MatrixError.InvalidParam($"Invalid sync token: {to}").ToTypedResult();

        var (changed, left) = await DeviceLists.ForUserAsync(session, http.Device().UserId, since, upto, ct);
        return TypedResults.Ok(new Response(changed, left));
    }

    /// <summary>A /sync `next_batch` ("s" + the global event sequence), or the bare number.</summary>
    public static bool TryParseSyncToken(string token, out long sequence) =>
        long.TryParse(token.StartsWith('s') ? token[1..] : token, NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
}
