namespace WalkieTalkie.Server.Federation.Receiving;

/// <summary>The answer given to a transaction, kept so the same transaction sent again gets the same answer unprocessed.</summary>
public sealed record ReceivedTransaction(string Id, string Response, DateTimeOffset At)
{
    public static string Key(string origin, string txnId) => $"{origin}|{txnId}";
}

/// <summary>PUT /_matrix/federation/v1/send/{txnId}: PDUs to the rooms, EDUs to their handlers, once per origin and transaction id.</summary>
public static class ReceiveTransaction
{
    public static void MapReceiveTransaction(this RouteGroupBuilder federation) =>
        federation.MapPut("/v1/send/{txnId}", Handle);

    static async Task<Results<ContentHttpResult, JsonHttpResult<MatrixError>>> Handle(string txnId, HttpContext http, IDocumentStore store, IIncomingPdus rooms,
        IEnumerable<IIncomingEdu> eduHandlers, TimeProvider clock, ILoggerFactory logs, CancellationToken ct)
    {
        var origin = http.FederationOrigin();
        var key = ReceivedTransaction.Key(origin, txnId);
        await using (var read = store.QuerySession())
        {
            if (await read.LoadAsync<ReceivedTransaction>(key, ct) is { } done) return TypedResults.Text(done.Response, "application/json");
        }

        var body = await MatrixBody.ReadElementAsync(http.Request, 4 * 1024 * 1024);
        if (!body.IsObject()) return MatrixError.BadJson("A transaction is a JSON object").ToTypedResult();
        var pdus = Objects(body, "pdus");
        var edus = Objects(body, "edus");
        if (pdus is null) return MatrixError.BadJson("'pdus' must be a list of objects").ToTypedResult();
        if (pdus.Count > Sending.TransactionBatch.MaxPdus || edus?.Count > Sending.TransactionBatch.MaxEdus)
            return MatrixError.BadJson("At most 50 PDUs and 100 EDUs in a transaction").ToTypedResult();

        var results = await rooms.ReceiveAsync(origin, pdus, ct);
        var handlers = eduHandlers.ToDictionary(h => h.EduType);
        var logger = logs.CreateLogger(typeof(ReceiveTransaction));
        foreach (var edu in edus ?? [])
        {
            if (edu["edu_type"]?.GetValueKind() != JsonValueKind.String || edu["content"] is not JsonObject content) continue;
            if (!handlers.TryGetValue(edu["edu_type"]!.GetValue<string>(), out var handler)) continue;
            try
            {
                await handler.HandleAsync(origin, content, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One bad EDU does not fail the transaction (the sender would resend all of it): it is dropped.
                logger.LogWarning(e, "{EduType} EDU from {Origin} dropped", handler.EduType, origin);
            }
        }

        var pduResults = new JsonObject();
        foreach (var (eventId, error) in results) pduResults[eventId] = error is null ? new JsonObject() : new JsonObject { ["error"] = error };
        var response = new JsonObject { ["pdus"] = pduResults }.ToJsonString();
        await using var write = store.LightweightSession();
        write.Store(new ReceivedTransaction(key, response, clock.GetUtcNow()));
        await write.SaveChangesAsync(ct);
        return TypedResults.Text(response, "application/json");
    }

    static List<JsonObject>? Objects(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var list)) return [];
        if (list.ValueKind != JsonValueKind.Array) return null;
        var items = new List<JsonObject>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) return null;
            items.Add(JsonObject.Create(item.Clone())!);
        }
        return items;
    }
}
