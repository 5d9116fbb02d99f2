using Marten.Patching;
using Wolverine;

namespace WalkieTalkie.Server.Matrix.Profile;

/// <summary>One profile field (<see cref="ProfileModule.DisplayName"/> or <see cref="ProfileModule.AvatarUrl"/>) changed by its owner; "" removes it.</summary>
public sealed record ChangeProfileField(string UserId, string Field, string? Value);

/// <summary>
/// PUT /profile/{userId}/displayname {"displayname"} and PUT /profile/{userId}/avatar_url {"avatar_url"}: only for yourself
/// (403 M_FORBIDDEN); "" clears the field; the avatar must be an absolute URL (mxc://…). Cascades ProfileChanged.
/// </summary>
public static class SetProfileField
{
    public sealed record DisplayNameRequest([property: JsonPropertyName("displayname")] string? DisplayName) : IMatrixRequest<DisplayNameRequest>;

    public sealed record AvatarUrlRequest(string? AvatarUrl) : IMatrixRequest<AvatarUrlRequest>;

    /// <summary>Synapse's limit; longer names only break other clients' layouts.</summary>
    public const int MaxDisplayNameLength = 256;

    public const int MaxAvatarUrlLength = 1000;

    public static void MapSetProfileField(this RouteGroupBuilder v3)
    {
        v3.MapPut("/profile/{userId}/displayname", (string userId, DisplayNameRequest body, HttpContext http, IMessageBus bus, CancellationToken ct) =>
            Handle(userId, ProfileModule.DisplayName, body.DisplayName, http, bus, ct)).RequireAccessToken();
        v3.MapPut("/profile/{userId}/avatar_url", (string userId, AvatarUrlRequest body, HttpContext http, IMessageBus bus, CancellationToken ct) =>
            Handle(userId, ProfileModule.AvatarUrl, body.AvatarUrl, http, bus, ct)).RequireAccessToken();
    }

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(string userId, string field, string? value,
        HttpContext http, IMessageBus bus, CancellationToken ct)
    {
        if (http.Device().UserId != userId) return ProfileModule.CannotChangeOthers().ToTypedResult();
        if (Invalid(field, value) is { } error) return error.ToTypedResult();
        await bus.InvokeAsync(new ChangeProfileField(userId, field, value), ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }

    static MatrixError? Invalid(string field, string? value) => (field, value) switch
    {
        (ProfileModule.DisplayName, null) => MatrixError.MissingParam("displayname is required (\"\" clears it)"),
        (ProfileModule.DisplayName, { Length: > MaxDisplayNameLength }) =>
            MatrixError.InvalidParam($"displayname is longer than {MaxDisplayNameLength} characters"),
        (ProfileModule.AvatarUrl, null) => MatrixError.MissingParam("avatar_url is required (\"\" removes the avatar)"),
        (ProfileModule.AvatarUrl, { Length: > 0 } url) when url.Length > MaxAvatarUrlLength || !Uri.IsWellFormedUriString(url, UriKind.Absolute) =>
            MatrixError.InvalidParam("avatar_url must be an absolute URI such as mxc://server/media"),
        _ => null,
    };
}

public static class ChangeProfileFieldHandler
{
    public static async Task<ProfileChanged?> Handle(ChangeProfileField command, IDocumentSession session, TimeProvider clock,
        CancellationToken ct)
    {
        var account = await session.LoadAsync<UserAccount>(command.UserId, ct);
        if (account is null) return null;
        var value = string.IsNullOrEmpty(command.Value) ? null : command.Value;
        var displayName = command.Field == ProfileModule.DisplayName ? value : account.DisplayName;
        var avatarUrl = command.Field == ProfileModule.AvatarUrl ? value : account.AvatarUrl;
        if (displayName == account.DisplayName && avatarUrl == account.AvatarUrl) return null;
        // A patch of the one field: a concurrent change of the other must survive.
        var patch = session.Patch<UserAccount>(account.Id);
        if (command.Field == ProfileModule.DisplayName) patch.Set(a => a.DisplayName, value);
        else patch.Set(a => a.AvatarUrl, value);
        return new ProfileChanged(account.Id, displayName, avatarUrl, clock.GetUtcNow());
    }
}
