namespace WalkieTalkie.Server.Matrix.Capabilities;

/// <summary>GET /capabilities (spec: Capabilities negotiation): what this server lets the caller change.</summary>
public static class GetCapabilities
{
    /// <summary>The room version the rooms module creates, the only one it implements.</summary>
    public const string DefaultRoomVersion = "10";

    static readonly Dictionary<string, object> Body = new()
    {
        ["capabilities"] = new Dictionary<string, object>
        {
            // There is no /account/password endpoint and no third-party identifiers here.
            ["m.change_password"] = new { enabled = false },
            ["m.room_versions"] = new
            {
                @default = DefaultRoomVersion,
                available = new Dictionary<string, string> { [DefaultRoomVersion] = "stable" },
            },
            ["m.set_displayname"] = new { enabled = true },
            ["m.set_avatar_url"] = new { enabled = true },
            ["m.3pid_changes"] = new { enabled = false },
        },
    };

    public static void MapCapabilities(this RouteGroupBuilder v3) =>
        v3.MapGet("/capabilities", () => TypedResults.Ok(Body)).RequireAccessToken();
}
