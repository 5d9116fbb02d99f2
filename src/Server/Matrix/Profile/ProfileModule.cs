namespace WalkieTalkie.Server.Matrix.Profile;

/// <summary>
/// Spec section "Profiles": display name and avatar URL, stored on UserAccount. Reading needs no access token
/// (spec v1.11); writing is for the user themself.
/// </summary>
public static class ProfileModule
{
    public static void MapProfile(this RouteGroupBuilder v3)
    {
        v3.MapGetProfile();
        v3.MapGetDisplayName();
        v3.MapSetDisplayName();
        v3.MapGetAvatarUrl();
        v3.MapSetAvatarUrl();
    }

    /// <summary>The profile response: the spec spells it `displayname` (no underscore) beside `avatar_url`.</summary>
    public sealed record ProfileBody(
        [property: JsonPropertyName("displayname")] string? DisplayName,
        [property: JsonPropertyName("avatar_url")] string? AvatarUrl);

    internal static IResult InvalidUserId(string userId) => MatrixError.InvalidParam($"{userId} is not a user id").ToResult();

    internal static IResult ProfileNotFound() => MatrixError.NotFound("Profile not found").ToResult();

    internal static IResult CannotChangeOthers() => MatrixError.Forbidden("You may only change your own profile").ToResult();
}

/// <summary>
/// Published after a display name or avatar change. The rooms module must handle it by sending an updated
/// m.room.member (join) event into every room the user has joined (spec: "Events on Change of Profile
/// Information"); until it does, member events keep the old values.
/// </summary>
public sealed record ProfileChanged(string UserId, string? DisplayName, string? AvatarUrl, DateTimeOffset At);
