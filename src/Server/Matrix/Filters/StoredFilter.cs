namespace WalkieTalkie.Server.Matrix.Filters;

/// <summary>An uploaded filter, kept as the client's JSON (Marten document, id "user id|filter id").</summary>
public sealed record StoredFilter(string Id, string UserId, string FilterId, string Json, DateTimeOffset CreatedAt)
{
    public static string Key(string userId, string filterId) => $"{userId}|{filterId}";
}
