namespace WalkieTalkie.Server.Matrix.Capabilities;

/// <summary>GET /capabilities (spec: Capabilities negotiation): what this server lets the caller change.</summary>
public static class GetCapabilities
{
    /// <summary>The room version the rooms module creates, the only one it implements.</summary>
    public const string DefaultRoomVersion = "10";

    public sealed record Response(CapabilitySet Capabilities);

    public sealed record CapabilitySet(
        [property: JsonPropertyName("m.change_password")] Capability ChangePassword,
        [property: JsonPropertyName("m.room_versions")] RoomVersions RoomVersions,
        [property: JsonPropertyName("m.set_displayname")] Capability SetDisplayName,
        [property: JsonPropertyName("m.set_avatar_url")] Capability SetAvatarUrl,
        [property: JsonPropertyName("m.3pid_changes")] Capability ThreePidChanges);

    public sealed record Capability(bool Enabled);
    public sealed record RoomVersions(string Default, IReadOnlyDictionary<string, string> Available);

    // There is no /account/password endpoint and no third-party identifiers here.
    static readonly Response Body = new(new CapabilitySet(
        ChangePassword: new(false),
        RoomVersions: new(DefaultRoomVersion, new Dictionary<string, string> { [DefaultRoomVersion] = "stable" }),
        SetDisplayName: new(true),
        SetAvatarUrl: new(true),
        ThreePidChanges: new(false)));

    public static void MapCapabilities(this RouteGroupBuilder v3) =>
        v3.MapGet("/capabilities", () => TypedResults.Ok(Body)).RequireAccessToken();
}
