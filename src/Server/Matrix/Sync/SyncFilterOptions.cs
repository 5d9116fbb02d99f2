using System.Text.Json;
using System.Text.Json.Nodes;
using WalkieTalkie.Server.Infrastructure;

namespace WalkieTalkie.Server.Matrix.Sync;

/// <summary>The parts of a sync filter this server applies (inline JSON; stored filters are resolved before).</summary>
public sealed record SyncFilterOptions(int? TimelineLimit, bool LazyLoadMembers)
{
    public static readonly SyncFilterOptions Default = new(null, false);

    public static SyncFilterOptions Parse(string? filter)
    {
        if (string.IsNullOrEmpty(filter) || !filter.TrimStart().StartsWith('{')) return Default;
        try
        {
            var room = (JsonNode.Parse(filter) as JsonObject)?["room"] as JsonObject;
            var limit = room?["timeline"]?["limit"] is JsonValue l && l.TryGetValue<int>(out var n) ? Math.Clamp(n, 1, 1000) : (int?)null;
            var lazy = room?["state"]?["lazy_load_members"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
            return new(limit, lazy);
        }
        catch (JsonException) { throw new MatrixException(MatrixError.NotJson("filter is not JSON")); }
    }
}
