namespace WalkieTalkie.Server.Matrix.Filters;

/// <summary>
/// What /sync uses of a filter (spec: Filtering, Filter/RoomFilter/RoomEventFilter): the timeline limit and
/// types, and whether room state is lazy-loaded. Everything else in a filter is accepted and ignored.
/// </summary>
public sealed record SyncFilter(int? TimelineLimit, bool LazyLoadMembers,
    IReadOnlyList<string>? TimelineTypes, IReadOnlyList<string>? TimelineNotTypes)
{
    public static readonly SyncFilter Default = new(null, false, null, null);

    /// <summary>The /sync `filter` query parameter: absent, inline JSON (starts with `{`) or the id of a stored filter.</summary>
    /// <exception cref="MatrixException">M_NOT_JSON / M_BAD_JSON for bad inline JSON, M_INVALID_PARAM for an unknown id.</exception>
    public static async Task<SyncFilter> ResolveAsync(IQuerySession session, string userId, string? filterParam,
        CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(filterParam)) return Default;
        if (filterParam.StartsWith('{'))
        {
            JsonDocument document;
            try { document = JsonDocument.Parse(filterParam); }
            catch (JsonException) { throw new MatrixException(MatrixError.NotJson("Invalid filter JSON")); }
            using (document) return Parse(document.RootElement);
        }
        var stored = await session.LoadAsync<StoredFilter>(StoredFilter.Key(userId, filterParam), ct)
                     ?? throw new MatrixException(MatrixError.InvalidParam("No such filter"));
        using var json = JsonDocument.Parse(stored.Json);
        return Parse(json.RootElement);
    }

    /// <summary>Validates a whole filter (the spec's types for every known field) and keeps what /sync needs.</summary>
    /// <exception cref="MatrixException">M_BAD_JSON naming the first field of the wrong type.</exception>
    public static SyncFilter Parse(JsonElement filter)
    {
        Check(filter, "filter", FilterFields);
        if (!filter.TryGetProperty("room", out var room)) return Default;
        var timeline = room.TryGetProperty("timeline", out var t) ? t : default;
        var state = room.TryGetProperty("state", out var s) ? s : default;
        return new SyncFilter(
            timeline.ValueKind == JsonValueKind.Object && timeline.TryGetProperty("limit", out var limit) ? limit.GetInt32() : null,
            state.ValueKind == JsonValueKind.Object && state.TryGetProperty("lazy_load_members", out var lazy) && lazy.GetBoolean(),
            Strings(timeline, "types"),
            Strings(timeline, "not_types"));
    }

    /// <summary>Whether the timeline keeps events of this type (`*` matches any run of characters).</summary>
    public bool IncludesTimelineType(string type) =>
        (TimelineTypes is null || TimelineTypes.Any(p => Matches(p, type)))
        && (TimelineNotTypes is null || !TimelineNotTypes.Any(p => Matches(p, type)));

    static bool Matches(string pattern, string value)
    {
        if (!pattern.Contains('*')) return pattern == value;
        var parts = pattern.Split('*');
        if (!value.StartsWith(parts[0], StringComparison.Ordinal)) return false;
        var at = parts[0].Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            var found = value.IndexOf(parts[i], at, StringComparison.Ordinal);
            if (found < 0) return false;
            at = found + parts[i].Length;
        }
        return value.Length - at >= parts[^1].Length && value.EndsWith(parts[^1], StringComparison.Ordinal);
    }

    static IReadOnlyList<string>? Strings(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var list)
            ? list.EnumerateArray().Select(e => e.GetString()!).ToArray()
            : null;

    enum Shape { Object, Bool, PositiveInt, String, StringArray, EventFilter, RoomEventFilter, RoomFilter }

    static readonly Dictionary<string, Shape> EventFilterFields = new()
    {
        ["limit"] = Shape.PositiveInt, ["types"] = Shape.StringArray, ["not_types"] = Shape.StringArray,
        ["senders"] = Shape.StringArray, ["not_senders"] = Shape.StringArray,
    };

    static readonly Dictionary<string, Shape> RoomEventFilterFields = new(EventFilterFields)
    {
        ["rooms"] = Shape.StringArray, ["not_rooms"] = Shape.StringArray, ["contains_url"] = Shape.Bool,
        ["lazy_load_members"] = Shape.Bool, ["include_redundant_members"] = Shape.Bool,
        ["unread_thread_notifications"] = Shape.Bool,
    };

    static readonly Dictionary<string, Shape> RoomFilterFields = new()
    {
        ["rooms"] = Shape.StringArray, ["not_rooms"] = Shape.StringArray, ["include_leave"] = Shape.Bool,
        ["timeline"] = Shape.RoomEventFilter, ["state"] = Shape.RoomEventFilter,
        ["ephemeral"] = Shape.RoomEventFilter, ["account_data"] = Shape.RoomEventFilter,
    };

    static readonly Dictionary<string, Shape> FilterFields = new()
    {
        ["event_fields"] = Shape.StringArray, ["event_format"] = Shape.String,
        ["presence"] = Shape.EventFilter, ["account_data"] = Shape.EventFilter, ["room"] = Shape.RoomFilter,
    };

    static void Check(JsonElement value, string path, Dictionary<string, Shape> fields)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Bad(path, "an object");
        foreach (var property in value.EnumerateObject())
            if (fields.TryGetValue(property.Name, out var shape))
                Check(property.Value, $"{path}.{property.Name}", shape);
    }

    static void Check(JsonElement value, string path, Shape shape)
    {
        switch (shape)
        {
            case Shape.Bool when value.ValueKind is not (JsonValueKind.True or JsonValueKind.False):
                throw Bad(path, "a boolean");
            case Shape.PositiveInt when value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n) || n < 1:
                throw Bad(path, "an integer greater than 0");
            case Shape.String when value.ValueKind != JsonValueKind.String:
                throw Bad(path, "a string");
            case Shape.StringArray when value.ValueKind != JsonValueKind.Array
                                        || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String):
                throw Bad(path, "an array of strings");
            case Shape.EventFilter: Check(value, path, EventFilterFields); break;
            case Shape.RoomEventFilter: Check(value, path, RoomEventFilterFields); break;
            case Shape.RoomFilter: Check(value, path, RoomFilterFields); break;
        }
    }

    static MatrixException Bad(string path, string expected) => new(MatrixError.BadJson($"{path} must be {expected}"));
}
