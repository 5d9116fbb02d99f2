namespace WalkieTalkie.Server.Matrix.Account;

/// <summary>A user-interactive auth session (Marten document so any server process can continue it).</summary>
public sealed record UiaSession(string Id, DateTimeOffset CreatedAt);

/// <summary>The spec's user-interactive authentication API: 401 with flows and a session, then the client retries with `auth`.</summary>
public static class UserInteractiveAuth
{
    public sealed record AuthDict(string? Type, string? Session, string? Token, string? Password, string? User);

    public static AuthDict? Read(JsonElement? auth)
    {
        if (auth is not { ValueKind: JsonValueKind.Object } a) return null;
        string? S(string name) => a.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var user = UserOf(a.TryGetProperty("identifier", out var id) ? id : null) ?? S("user");
        return new AuthDict(S("type"), S("session"), S("token"), S("password"), user);
    }

    /// <summary>The user of an `m.id.user` identifier (<c>{"type": "m.id.user", "user": ...}</c>), if it names one.</summary>
    public static string? UserOf(JsonElement? identifier) =>
        identifier is { ValueKind: JsonValueKind.Object } id && id.TryGetProperty("user", out var u) && u.ValueKind == JsonValueKind.String
            ? u.GetString()
            : null;

    public static async Task<bool> IsKnownSessionAsync(IQuerySession session, string? id, CancellationToken ct) =>
        id is not null && await session.LoadAsync<UiaSession>(id, ct) is not null;

    /// <summary>
    /// One `m.login.password` stage proving that the caller knows the password of <paramref name="userId"/> (device
    /// deletion). Null when confirmed (the UIA session is then used up); otherwise the 401 to answer with.
    /// </summary>
    public static async Task<JsonHttpResult<Challenge>?> ConfirmPasswordAsync(IDocumentSession session, string userId,
        JsonElement? authJson, DateTimeOffset now, CancellationToken ct)
    {
        string[][] flows = [["m.login.password"]];
        var auth = Read(authJson);
        if (auth is null || !await IsKnownSessionAsync(session, auth.Session, ct))
            return await ChallengeAsync(session, flows, now, ct);

        var account = await session.LoadAsync<UserAccount>(userId, ct);
        var confirmed = auth.Type == "m.login.password" && IsSameUser(auth.User, userId)
                        && account is not null && auth.Password is { Length: > 0 } password
                        && PasswordHasher.Verify(password, account.PasswordHash);
        if (!confirmed)
            return await ChallengeAsync(session, flows, now, ct, auth.Session, MatrixError.Forbidden("Invalid password"));

        session.Delete<UiaSession>(auth.Session!);
        await session.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>`identifier.user` may be the full user id or its localpart (spec: Identifier types, m.id.user).</summary>
    static bool IsSameUser(string? given, string userId) =>
        given is not null && (given == userId
            || (MatrixIds.TryParseUserId(userId, out var localpart, out _) && given.ToLowerInvariant() == localpart));

    public static async Task<JsonHttpResult<Challenge>> ChallengeAsync(IDocumentSession session, string[][] flows, DateTimeOffset now,
        CancellationToken ct, string? existing = null, MatrixError? error = null)
    {
        var id = existing ?? MatrixIds.RandomToken(24);
        if (existing is null)
        {
            session.Store(new UiaSession(id, now));
            await session.SaveChangesAsync(ct);
        }

        var body = new Challenge([.. flows.Select(stages => new Flow(stages))], EmptyResponse.Instance, id)
        {
            ErrCode = error?.ErrCode, Error = error?.Error,
        };
        return TypedResults.Json(body, statusCode: 401);
    }

    /// <summary>The 401 body: the flows left to complete, the session to continue, and why the last attempt failed.</summary>
    public sealed record Challenge(IReadOnlyList<Flow> Flows, EmptyResponse Params, string Session)
    {
        [JsonPropertyName("errcode")] public string? ErrCode { get; init; }
        public string? Error { get; init; }
    }

    public sealed record Flow(IReadOnlyList<string> Stages);
}
