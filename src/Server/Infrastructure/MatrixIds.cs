using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace WalkieTalkie.Server.Infrastructure;

/// <summary>Matrix identifiers (spec appendix "Identifier Grammar").</summary>
public static partial class MatrixIds
{
    /// <summary>Localparts of new users: lower-case a-z, 0-9, `._=-/+`, at most 255 bytes with the server name.</summary>
    public static bool IsValidLocalpart(string localpart) =>
        localpart.Length is > 0 and <= 200 && LocalpartRegex().IsMatch(localpart);

    public static string UserId(string localpart, string serverName) => $"@{localpart}:{serverName}";

    public static bool TryParseUserId(string userId, out string localpart, out string serverName)
    {
        localpart = serverName = "";
        if (userId.Length < 4 || userId[0] != '@') return false;
        var colon = userId.IndexOf(':');
        if (colon < 2 || colon == userId.Length - 1) return false;
        localpart = userId[1..colon];
        serverName = userId[(colon + 1)..];
        return true;
    }

    /// <summary>Whether <paramref name="userId"/> is a user of <paramref name="serverName"/> (this homeserver, as callers pass it).</summary>
    public static bool IsLocal(string userId, string serverName) =>
        TryParseUserId(userId, out _, out var server) && server == serverName;

    /// <summary>A room id (!opaque:server) or alias (#name:server) in shape; whether it exists is another question.</summary>
    public static bool IsRoomIdOrAlias(string value) =>
        value.Length >= 4 && value[0] is '!' or '#' && value.IndexOf(':') > 1 && value[^1] != ':';

    public static string NewRoomId(string serverName) => $"!{RandomToken(18)}:{serverName}";

    /// <summary>Room version 4+ event ids are `$` + url-safe base64 of a hash; ours are random of the same shape.</summary>
    public static string NewEventId() => "$" + RandomToken(43);

    public static string RandomToken(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i++) chars[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        return new string(chars);
    }

    [GeneratedRegex("^[a-z0-9._=/+-]+$")]
    private static partial Regex LocalpartRegex();
}
