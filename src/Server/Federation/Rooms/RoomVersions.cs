namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>The room versions this server implements: it creates version 10 rooms and joins rooms of 10 or 11.</summary>
public static class RoomVersions
{
    public const string Default = "10";
    public const string V11 = "11";

    public static readonly IReadOnlyList<string> Supported = [Default, V11];

    public static bool IsSupported(string? version) => version is not null && Supported.Contains(version);
}
