namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>GET /rooms/{roomId}/messages: pagination both ways with `from`/`to`/`limit`/`filter`.</summary>
public static class Messages
{
    const int MaxLimit = 1000;

    /// <summary>`end` is omitted when there is nothing more in that direction; `state` only with lazy-loaded members.</summary>
    public sealed record Response(IReadOnlyList<JsonObject> Chunk, string Start, string? End, IReadOnlyList<JsonObject>? State);

    public static void MapMessages(this RouteGroupBuilder v3) =>
        v3.MapGet("/rooms/{roomId}/messages", Handle).RequireAccessToken();

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(string roomId, string? from, string? to, string? dir, int? limit, string? filter,
        HttpContext http, IQuerySession q, TimeProvider clock, CancellationToken ct)
    {
        var device = http.Device();
        var (room, error) = await ReadRoom.ReadableAsync(q, roomId, device.UserId, ct);
        if (error is not null) return error.ToTypedResult();
        var backwards = (dir ?? "b") switch
        {
            "b" => true, "f" => false,
            _ => throw new MatrixException(MatrixError.InvalidParam("dir must be b or f")),
        };
        var count = Math.Clamp(limit ?? 10, 1, MaxLimit);
        if (from is not null && !RoomTimeline.TryParseToken(from, out _)) return MatrixError.InvalidParam("Invalid from token").ToTypedResult();
        if (to is not null && !RoomTimeline.TryParseToken(to, out _)) return MatrixError.InvalidParam("Invalid to token").ToTypedResult();
        var types = ParseTypes(filter);

        IReadOnlyList<SequencedEvent> page;
        long start;
        if (backwards)
        {
            start = RoomTimeline.TryParseToken(from, out var f) ? f : long.MaxValue;
            page = await RoomTimeline.BackwardsAsync(q, roomId, start, count, ct);
            if (RoomTimeline.TryParseToken(to, out var stop)) page = page.Where(e => e.Seq > stop).ToList();
        }
        else
        {
            start = RoomTimeline.TryParseToken(from, out var f) ? f : 0;
            var stop = RoomTimeline.TryParseToken(to, out var t) ? t : long.MaxValue;
            page = await RoomTimeline.ForwardsAsync(q, roomId, start, stop, count, ct);
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var chunk = new List<JsonObject>();
        foreach (var e in page.Where(e => types.Matches(e.Event.Type)))
            chunk.Add(await ReadRoom.ToClientEventAsync(q, room!, e.Event, now, device.DeviceId, ct));

        var startToken = RoomTimeline.Token(start == long.MaxValue ? page.FirstOrDefault()?.Seq ?? 0 : start);
        var end = page.Count == count ? RoomTimeline.Token(backwards ? page[^1].Seq - 1 : page[^1].Seq) : null;
        List<JsonObject>? state = null;
        if (types.LazyLoadMembers)
        {
            var senders = page.Select(e => e.Event.Sender).ToHashSet();
            state = senders
                .Select(s => room!.Get(EventTypes.Member, s) is { } m ? ReadRoom.ToEvent(roomId, EventTypes.Member, s, m).ToClientEvent(now) : null)
                .OfType<JsonObject>().ToList();
        }
        return TypedResults.Ok(new Response(chunk, startToken, end, state));
    }

    public sealed record TypeFilter(IReadOnlyList<string>? Types, IReadOnlyList<string>? NotTypes, bool LazyLoadMembers)
    {
        public bool Matches(string type) =>
            (Types is null || Types.Any(t => Glob(t, type))) && (NotTypes is null || !NotTypes.Any(t => Glob(t, type)));

        static bool Glob(string pattern, string type) =>
            pattern.EndsWith('*') ? type.StartsWith(pattern[..^1], StringComparison.Ordinal) : pattern == type;
    }

    public static TypeFilter ParseTypes(string? filter)
    {
        if (string.IsNullOrEmpty(filter)) return new(null, null, false);
        try
        {
            var json = JsonNode.Parse(filter) as JsonObject ?? throw new MatrixException(MatrixError.BadJson("filter must be a JSON object"));
            static IReadOnlyList<string>? List(JsonNode? n) => n is JsonArray a ? a.Select(x => x!.GetValue<string>()).ToList() : null;
            return new(List(json["types"]), List(json["not_types"]), json["lazy_load_members"] is JsonValue v && v.GetValue<bool>());
        }
        catch (JsonException) { throw new MatrixException(MatrixError.NotJson("filter is not JSON")); }
        catch (InvalidOperationException) { throw new MatrixException(MatrixError.BadJson("filter has the wrong shape")); }
    }
}
