namespace WalkieTalkie.Server.Federation.Sending;

/// <summary>Which queued items go in the next transaction: the spec allows at most 50 PDUs and 100 EDUs per transaction.</summary>
public static class TransactionBatch
{
    public const int MaxPdus = 50;
    public const int MaxEdus = 100;

    /// <summary>The oldest items that fit, in queue order, stopping at the first that does not (order is kept).</summary>
    public static IReadOnlyList<OutgoingItem> Take(IEnumerable<OutgoingItem> oldestFirst)
    {
        var batch = new List<OutgoingItem>();
        int pdus = 0, edus = 0;
        foreach (var item in oldestFirst)
        {
            if (item.IsPdu ? pdus == MaxPdus : edus == MaxEdus) break;
            if (item.IsPdu) pdus++;
            else edus++;
            batch.Add(item);
        }
        return batch;
    }

    public static JsonObject Body(string origin, long originServerTs, IEnumerable<OutgoingItem> items)
    {
        var pdus = new JsonArray();
        var edus = new JsonArray();
        foreach (var item in items) (item.IsPdu ? pdus : edus).Add(JsonNode.Parse(item.Json));
        return new JsonObject { ["origin"] = origin, ["origin_server_ts"] = originServerTs, ["pdus"] = pdus, ["edus"] = edus };
    }

    /// <summary>Delay before the next attempt after <paramref name="failures"/> failures in a row: doubling, capped.</summary>
    public static TimeSpan Backoff(int failures, TimeSpan initial, TimeSpan max)
    {
        var ms = initial.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, max.TotalMilliseconds));
    }
}
