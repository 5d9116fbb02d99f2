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
        v3.MapSetProfileField();
    }

    /// <summary>The two profile fields, as the spec spells them in paths and bodies.</summary>
    public const string DisplayName = "displayname";

    public const string AvatarUrl = "avatar_url";

    /// <summary>The profile response: the spec spells it `displayname` (no underscore) beside `avatar_url`.</summary>
    public sealed record ProfileBody(
        [property: JsonPropertyName("displayname")] string? DisplayName,
        [property: JsonPropertyName("avatar_url")] string? AvatarUrl)
    {
        /// <summary>The whole profile (<paramref name="field"/> null) or only the one field.</summary>
        public static ProfileBody Of(string? displayName, string? avatarUrl, string? field) =>
            new(field is null or ProfileModule.DisplayName ? displayName : null, field is null or ProfileModule.AvatarUrl ? avatarUrl : null);
    }

    internal static MatrixError InvalidUserId(string userId) => MatrixError.InvalidParam($"{userId} is not a user id");

    internal static MatrixError ProfileNotFound() => MatrixError.NotFound("Profile not found");

    internal static MatrixError CannotChangeOthers() => MatrixError.Forbidden("You may only change your own profile");
}

/// <summary>
/// Published after a display name or avatar change. The rooms module must handle it by sending an updated
/// m.room.member (join) event into every room the user has joined (spec: "Events on Change of Profile
/// Information"); until it does, member events keep the old values.
/// </summary>
public sealed record ProfileChanged(string UserId, string? DisplayName, string? AvatarUrl, DateTimeOffset At);
