namespace WalkieTalkie.Server.Matrix.Account;

public sealed class RegistrationOptions
{
    public const string Section = "Registration";

    /// <summary>Open registration with `m.login.dummy` (on in Development).</summary>
    public bool Enabled { get; set; }

    /// <summary>When set, registration needs `m.login.registration_token` with this token.</summary>
    public string? SharedSecret { get; set; }
}

/// <summary>POST /register (user-interactive auth) and GET /register/available.</summary>
public static class Register
{
    public sealed record Request(
        string? Username, string? Password, JsonElement? Auth, string? DeviceId,
        string? InitialDeviceDisplayName, bool? InhibitLogin) : IMatrixRequest<Request>;

    /// <summary>With <c>inhibit_login</c>: the account exists, no device or token was made.</summary>
    public sealed record Registered(string UserId);

    public sealed record Availability(bool Available);

    public static void MapRegister(this RouteGroupBuilder v3)
    {
        v3.MapPost("/register", Handle).RequireRateLimiting(RateLimits.Auth);
        v3.MapGet("/register/available", Available).RequireRateLimiting(RateLimits.Auth);
    }

    static async Task<Results<Ok<Login.Response>, Ok<Registered>, JsonHttpResult<UserInteractiveAuth.Challenge>, JsonHttpResult<MatrixError>>>
        Handle(Request body, string? kind, IDocumentSession session, PasswordHasher hasher,
            IOptions<RegistrationOptions> registration, IOptions<MatrixOptions> matrix, TimeProvider clock, CancellationToken ct)
    {
        if (kind is "guest")
            return new MatrixError("M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled") { Status = 403 }.ToTypedResult();
        var options = registration.Value;
        if (!options.Enabled && string.IsNullOrEmpty(options.SharedSecret))
            return MatrixError.Forbidden("Registration is disabled").ToTypedResult();

        var stage = string.IsNullOrEmpty(options.SharedSecret) ? "m.login.dummy" : "m.login.registration_token";
        var auth = UserInteractiveAuth.Read(body.Auth);
        if (auth is null || !await UserInteractiveAuth.IsKnownSessionAsync(session, auth.Session, ct))
            return await UserInteractiveAuth.ChallengeAsync(session, [[stage]], clock.GetUtcNow(), ct);
        if (auth.Type != stage || (stage == "m.login.registration_token" && auth.Token != options.SharedSecret))
            return await UserInteractiveAuth.ChallengeAsync(session, [[stage]], clock.GetUtcNow(), ct, auth.Session,
                MatrixError.Forbidden("Invalid authentication"));

        var localpart = (body.Username ?? MatrixIds.RandomToken(12).ToLowerInvariant()).ToLowerInvariant();
        if (!MatrixIds.IsValidLocalpart(localpart))
            return new MatrixError("M_INVALID_USERNAME", "User ID may only contain a-z, 0-9, and ._=-/+").ToTypedResult();
        if (string.IsNullOrEmpty(body.Password)) return MatrixError.MissingParam("password is required").ToTypedResult();
        if (body.Password.Length > 512) return MatrixError.InvalidParam("password is too long").ToTypedResult();

        var userId = MatrixIds.UserId(localpart, matrix.Value.ServerName);
        if (await session.LoadAsync<UserAccount>(userId, ct) is not null)
            return new MatrixError("M_USER_IN_USE", "User ID already taken.").ToTypedResult();

        var now = clock.GetUtcNow();
        session.Insert(new UserAccount(userId, hasher.Hash(body.Password), now) { DisplayName = localpart });
        session.Delete<UiaSession>(auth.Session!);
        if (body.InhibitLogin is true)
        {
            await SaveAsync(session, ct);
            return TypedResults.Ok(new Registered(userId));
        }

        var created = await Sessions.StartAsync(session, userId, body.DeviceId, body.InitialDeviceDisplayName, now, ct);
        if (!await SaveAsync(session, ct)) return new MatrixError("M_USER_IN_USE", "User ID already taken.").ToTypedResult();
        return TypedResults.Ok(Login.Answer(created, matrix.Value));
    }

    /// <summary>Two racing registrations of one name: the loser's insert conflicts.</summary>
    static async Task<bool> SaveAsync(IDocumentSession session, CancellationToken ct)
    {
        try
        {
            await session.SaveChangesAsync(ct);
            return true;
        }
        catch (Exception e) when (e is JasperFx.DocumentAlreadyExistsException
                                    || e.InnerException is JasperFx.DocumentAlreadyExistsException)
        {
            return false;
        }
    }

    static async Task<Results<Ok<Availability>, JsonHttpResult<MatrixError>>> Available(string? username, IQuerySession session,
        IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(username)) return MatrixError.MissingParam("username is required").ToTypedResult();
        if (!MatrixIds.IsValidLocalpart(username))
            return new MatrixError("M_INVALID_USERNAME", "User ID may only contain a-z, 0-9, and ._=-/+").ToTypedResult();
        var taken = await session.LoadAsync<UserAccount>(MatrixIds.UserId(username, matrix.Value.ServerName), ct) is not null;
        return taken ? new MatrixError("M_USER_IN_USE", "User ID already taken.").ToTypedResult() : TypedResults.Ok(new Availability(true));
    }
}
