using WalkieTalkie.Server.Federation.Receiving;

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// PDUs of incoming transactions (server-server spec "Checks performed on receipt of a PDU"): each is verified, its
/// missing auth events are fetched (`/event`), a gap before it is filled (`get_missing_events`), then it must pass the
/// auth rules against its auth events and the current state. A rejected event is never stored, so never served.
/// </summary>
public sealed class IncomingPdus(IServiceScopeFactory scopes, PduVerifier verifier, FederationClient client, ILogger<IncomingPdus> logger)
    : IIncomingPdus
{
    const int MissingEventsLimit = 10;

    public async Task<IReadOnlyDictionary<string, string?>> ReceiveAsync(string origin, IReadOnlyList<JsonObject> pdus, CancellationToken ct)
    {
        var results = new Dictionary<string, string?>();
        await using var scope = scopes.CreateAsyncScope();
        var remote = scope.ServiceProvider.GetRequiredService<RemoteEvents>();
        foreach (var pdu in pdus)
        {
            var roomId = pdu["room_id"] is JsonValue r && r.TryGetValue<string>(out var id) ? id : null;
            var version = roomId is null ? null : await remote.RoomVersionAsync(roomId, ct);
            var eventId = SafeEventId(pdu, version ?? RoomVersions.Default);
            if (version is null)
            {
                results[eventId] = "This server is not in the room";
                continue;
            }
            var (verified, error) = await verifier.VerifyAsync(pdu, version, ct);
            results[eventId] = verified is null ? error : await ProcessAsync(remote, origin, version, verified, fillGaps: true, ct);
            if (results[eventId] is { } rejected) logger.LogInformation("Rejected PDU {Event} from {Origin}: {Reason}", eventId, origin, rejected);
        }
        return results;
    }

    async Task<string?> ProcessAsync(RemoteEvents remote, string origin, string version, VerifiedPdu pdu, bool fillGaps, CancellationToken ct)
    {
        var store = remote.Store;
        await using (var session = store.QuerySession())
        {
            if (await session.LoadAsync<StoredPdu>(pdu.EventId, ct) is { Outlier: false }) return null;
            var known = await PduStore.LoadAsync(session, pdu.AuthEvents.Concat(pdu.PrevEvents), ct);
            foreach (var missing in pdu.AuthEvents.Where(a => !known.ContainsKey(a)))
                if (await FetchAuthEventAsync(remote, origin, version, missing, ct) is { } why) return $"auth event {missing}: {why}";
            if (fillGaps && pdu.PrevEvents.Any(p => !known.TryGetValue(p, out var stored) || stored.Outlier))
                await FillGapAsync(remote, origin, version, pdu, ct);
        }
        return await remote.AcceptAsync(pdu, ct);
    }

    /// <summary>An auth event we lack, fetched from the origin and kept as an outlier once it passes against its own auth events.</summary>
    async Task<string?> FetchAuthEventAsync(RemoteEvents remote, string origin, string version, string eventId, CancellationToken ct)
    {
        JsonObject? pdu;
        try
        {
            var answer = await client.GetJsonAsync(origin, $"/_matrix/federation/v1/event/{Uri.EscapeDataString(eventId)}", ct);
            pdu = (answer["pdus"] as JsonArray)?.FirstOrDefault() as JsonObject;
        }
        catch (FederationException e)
        {
            return $"could not be fetched ({e.Message})";
        }
        if (pdu is null) return "the origin did not return it";
        var (verified, error) = await verifier.VerifyAsync(pdu, version, ct);
        if (verified is null) return error;
        if (verified.EventId != eventId) return "the origin returned another event";
        return await remote.StoreOutlierAsync(verified, ct);
    }

    /// <summary>Fetches the events between our extremities and <paramref name="pdu"/> and takes them in, oldest first.</summary>
    async Task FillGapAsync(RemoteEvents remote, string origin, string version, VerifiedPdu pdu, CancellationToken ct)
    {
        var earliest = await remote.ExtremitiesAsync(pdu.RoomId, ct);
        JsonArray events;
        try
        {
            var answer = await client.PostJsonAsync(origin, $"/_matrix/federation/v1/get_missing_events/{Uri.EscapeDataString(pdu.RoomId)}",
                new JsonObject
                {
                    ["earliest_events"] = new JsonArray(earliest.Select(e => (JsonNode)e).ToArray()),
                    ["latest_events"] = new JsonArray(pdu.EventId),
                    ["limit"] = MissingEventsLimit,
                    ["min_depth"] = 0,
                }, ct);
            events = answer["events"] as JsonArray ?? [];
        }
        catch (FederationException e)
        {
            // Without the gap the event is still checked against its auth events and the current state.
            logger.LogInformation("get_missing_events for {Event} from {Origin} failed: {Error}", pdu.EventId, origin, e.Message);
            return;
        }
        var verified = new List<VerifiedPdu>();
        foreach (var node in events.OfType<JsonObject>())
            if ((await verifier.VerifyAsync(node, version, ct)).Pdu is { } ok && ok.RoomId == pdu.RoomId) verified.Add(ok);
        foreach (var missing in verified.OrderBy(v => v.Depth).ThenBy(v => v.EventId, StringComparer.Ordinal))
            if (await ProcessAsync(remote, origin, version, missing, fillGaps: false, ct) is { } why)
                logger.LogInformation("Missing event {Event} rejected: {Reason}", missing.EventId, why);
    }

    static string SafeEventId(JsonObject pdu, string version)
    {
        try
        {
            return EventHashes.EventId(pdu, version);
        }
        catch (Exception e) when (e is Crypto.CanonicalJsonException or InvalidOperationException)
        {
            return "$invalid";
        }
    }
}
