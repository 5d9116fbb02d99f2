namespace WalkieTalkie.Server.Matrix.Account;

/// <summary>GET/POST /login (m.login.password), /account/whoami.</summary>
public static class Login
{
    public sealed record Request(string? Type, JsonElement? Identifier, string? User, string? Password,
        string? DeviceId, string? InitialDeviceDisplayName) : IMatrixRequest<Request>;

    /// <summary>What a successful /login or /register answers.</summary>
    public sealed record Response(string UserId, string AccessToken, string DeviceId, string HomeServer);

    public sealed record LoginFlows(IReadOnlyList<LoginFlow> Flows);
    public sealed record LoginFlow(string Type);
    public sealed record WhoAmI(string UserId, string DeviceId, bool IsGuest);

    static readonly LoginFlows PasswordOnly = new([new LoginFlow("m.login.password")]);

    public static void MapLogin(this RouteGroupBuilder v3)
    {
        v3.MapGet("/login", () => TypedResults.Ok(PasswordOnly));
        v3.MapPost("/login", Handle).RequireRateLimiting(RateLimits.Auth);
        v3.MapGet("/account/whoami", (HttpContext http) =>
        {
            var device = http.Device();
            return TypedResults.Ok(new WhoAmI(device.UserId, device.DeviceId, IsGuest: false));
        }).RequireAccessToken();
    }

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(Request body, IDocumentSession session,
        IOptions<MatrixOptions> matrix, TimeProvider clock, CancellationToken ct)
    {
        if (body.Type != "m.login.password")
            return new MatrixError("M_UNKNOWN", $"Unknown login type {body.Type}").ToTypedResult();
        var user = UserInteractiveAuth.UserOf(body.Identifier) ?? body.User;
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(body.Password))
            return MatrixError.BadJson("identifier.user and password are required").ToTypedResult();

        var userId = user.StartsWith('@') ? user : MatrixIds.UserId(user.ToLowerInvariant(), matrix.Value.ServerName);
        var account = await session.LoadAsync<UserAccount>(userId, ct);
        if (account is null || !PasswordHasher.Verify(body.Password, account.PasswordHash))
            return MatrixError.Forbidden("Invalid username or password").ToTypedResult();

        var created = await Sessions.StartAsync(session, userId, body.DeviceId, body.InitialDeviceDisplayName, clock.GetUtcNow(), ct);
        await session.SaveChangesAsync(ct);
        return TypedResults.Ok(Answer(created, matrix.Value));
    }

    public static Response Answer(Sessions.Created created, MatrixOptions matrix) =>
        new(created.UserId, created.AccessToken, created.DeviceId, matrix.ServerName);
}
