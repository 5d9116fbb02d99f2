namespace WalkieTalkie.Server.Matrix.Sync;

/// <summary>
/// `s{seq}_e{ephemeral version}_{instance}`: seq is the global event sequence up to which the client has everything
/// sync-visible; the ephemeral part is a per-process counter (typing, floor) tagged with the process it came from.
/// </summary>
public sealed record SyncToken(long Seq, long EphemeralVersion, string Instance)
{
    public override string ToString() => $"s{Seq}_e{EphemeralVersion}_{Instance}";

    public static SyncToken? Parse(string? token)
    {
        if (string.IsNullOrEmpty(token) || token[0] != 's') return null;
        var parts = token[1..].Split('_');
        if (!long.TryParse(parts[0], out var seq) || seq < 0) return null;
        if (parts.Length == 3 && parts[1].StartsWith('e') && long.TryParse(parts[1][1..], out var version))
            return new SyncToken(seq, version, parts[2]);
        return new SyncToken(seq, 0, "");
    }
}
