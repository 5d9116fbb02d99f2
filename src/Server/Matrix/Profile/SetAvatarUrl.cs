using Marten.Patching;
using Wolverine;

namespace WalkieTalkie.Server.Matrix.Profile;

/// <summary>"" removes the avatar.</summary>
public sealed record ChangeAvatarUrl(string UserId, string? AvatarUrl);

/// <summary>PUT /profile/{userId}/avatar_url: only for yourself (403 M_FORBIDDEN); the URL must be absolute (mxc://…).</summary>
public static class SetAvatarUrl
{
    public sealed record Request(string? AvatarUrl) : IMatrixRequest<Request>;

    public const int MaxLength = 1000;

    public static void MapSetAvatarUrl(this RouteGroupBuilder v3) =>
        v3.MapPut("/profile/{userId}/avatar_url", async (string userId, Request body, HttpContext http, IMessageBus bus,
            CancellationToken ct) =>
        {
            if (http.Device().UserId != userId) return ProfileModule.CannotChangeOthers();
            if (body.AvatarUrl is null) return MatrixError.MissingParam("avatar_url is required (\"\" removes the avatar)").ToResult();
            if (body.AvatarUrl is { Length: > 0 } url && (url.Length > MaxLength || !Uri.IsWellFormedUriString(url, UriKind.Absolute)))
                return MatrixError.InvalidParam("avatar_url must be an absolute URI such as mxc://server/media").ToResult();

            await bus.InvokeAsync(new ChangeAvatarUrl(userId, body.AvatarUrl), ct);
            return TypedResults.Ok(new { });
        }).RequireAccessToken();
}

public static class ChangeAvatarUrlHandler
{
    public static async Task<ProfileChanged?> Handle(ChangeAvatarUrl command, IDocumentSession session, TimeProvider clock,
        CancellationToken ct)
    {
        var account = await session.LoadAsync<UserAccount>(command.UserId, ct);
        var url = string.IsNullOrEmpty(command.AvatarUrl) ? null : command.AvatarUrl;
        if (account is null || account.AvatarUrl == url) return null;
        // A patch: a concurrent change of the other profile field must survive.
        session.Patch<UserAccount>(account.Id).Set(a => a.AvatarUrl, url);
        return new ProfileChanged(account.Id, account.DisplayName, url, clock.GetUtcNow());
    }
}
