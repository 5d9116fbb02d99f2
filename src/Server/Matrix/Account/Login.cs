using Microsoft.Extensions.Options;

namespace WalkieTalkie.Server.Matrix.Account;

/// <summary>GET/POST /login (m.login.password), /account/whoami.</summary>
public static class Login
{
    public sealed record Request(string? Type, JsonElement? Identifier, string? User, string? Password,
        string? DeviceId, string? InitialDeviceDisplayName) : IMatrixRequest<Request>;

    public static void MapLogin(this RouteGroupBuilder v3)
    {
        v3.MapGet("/login", () => TypedResults.Ok(new { flows = new[] { new { type = "m.login.password" } } }));
        v3.MapPost("/login", Handle).RequireRateLimiting(RateLimits.Auth);
        v3.MapGet("/account/whoami", (HttpContext http) =>
        {
            var device = http.Device();
            return TypedResults.Ok(new { user_id = device.UserId, device_id = device.DeviceId, is_guest = false });
        }).RequireAccessToken();
    }

    static async Task<IResult> Handle(Request body, IDocumentSession session, IOptions<MatrixOptions> matrix,
        TimeProvider clock, CancellationToken ct)
    {
        if (body.Type != "m.login.password")
            return new MatrixError("M_UNKNOWN", $"Unknown login type {body.Type}").ToResult();
        var user = UserInteractiveAuth.Read(body.Identifier is { } i
            ? JsonDocument.Parse($$"""{"identifier":{{i.GetRawText()}}}""").RootElement
            : null)?.User ?? body.User;
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(body.Password))
            return MatrixError.BadJson("identifier.user and password are required").ToResult();

        var userId = user.StartsWith('@') ? user : MatrixIds.UserId(user.ToLowerInvariant(), matrix.Value.ServerName);
        var account = await session.LoadAsync<UserAccount>(userId, ct);
        if (account is null || !PasswordHasher.Verify(body.Password, account.PasswordHash))
            return MatrixError.Forbidden("Invalid username or password").ToResult();

        var created = await Sessions.StartAsync(session, userId, body.DeviceId, body.InitialDeviceDisplayName, clock.GetUtcNow(), ct);
        await session.SaveChangesAsync(ct);
        return TypedResults.Ok(new
        {
            user_id = created.UserId, access_token = created.AccessToken, device_id = created.DeviceId,
            home_server = matrix.Value.ServerName,
        });
    }
}
