using Marten.Patching;
using Wolverine;

namespace WalkieTalkie.Server.Matrix.Profile;

/// <summary>"" clears the display name.</summary>
public sealed record ChangeDisplayName(string UserId, string? DisplayName);

/// <summary>PUT /profile/{userId}/displayname: only for yourself (403 M_FORBIDDEN); cascades ProfileChanged.</summary>
public static class SetDisplayName
{
    public sealed record Request([property: JsonPropertyName("displayname")] string? DisplayName) : IMatrixRequest<Request>;

    /// <summary>Synapse's limit; longer names only break other clients' layouts.</summary>
    public const int MaxLength = 256;

    public static void MapSetDisplayName(this RouteGroupBuilder v3) =>
        v3.MapPut("/profile/{userId}/displayname", async (string userId, Request body, HttpContext http, IMessageBus bus,
            CancellationToken ct) =>
        {
            if (http.Device().UserId != userId) return ProfileModule.CannotChangeOthers();
            if (body.DisplayName is null) return MatrixError.MissingParam("displayname is required (\"\" clears it)").ToResult();
            if (body.DisplayName is { Length: > MaxLength })
                return MatrixError.InvalidParam($"displayname is longer than {MaxLength} characters").ToResult();

            await bus.InvokeAsync(new ChangeDisplayName(userId, body.DisplayName), ct);
            return TypedResults.Ok(new { });
        }).RequireAccessToken();
}

public static class ChangeDisplayNameHandler
{
    public static async Task<ProfileChanged?> Handle(ChangeDisplayName command, IDocumentSession session, TimeProvider clock,
        CancellationToken ct)
    {
        var account = await session.LoadAsync<UserAccount>(command.UserId, ct);
        var name = string.IsNullOrEmpty(command.DisplayName) ? null : command.DisplayName;
        if (account is null || account.DisplayName == name) return null;
        // A patch: a concurrent change of the other profile field must survive.
        session.Patch<UserAccount>(account.Id).Set(a => a.DisplayName, name);
        return new ProfileChanged(account.Id, name, account.AvatarUrl, clock.GetUtcNow());
    }
}
