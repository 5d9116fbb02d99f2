using WalkieTalkie.Server.Federation.Keys;

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// The joining server's half of a join (server-server spec "Joining Rooms"): resolve a remote alias with
/// /query/directory, ask a resident server for a template (make_join), sign it, send it (send_join v2), check the
/// returned state and auth chain event by event, and store them. From then on the room lives here too.
/// </summary>
public sealed class RemoteJoin(FederationClient client, PduVerifier verifier, RoomWriter writer, ServerSigningKeys keys,
    TimeProvider clock, IOptions<MatrixOptions> matrix, ILogger<RemoteJoin> logger)
{
    /// <summary>The room id and the servers to ask for <paramref name="alias"/> of another server.</summary>
    public async Task<(string RoomId, List<string> Servers)> ResolveAliasAsync(string alias, CancellationToken ct)
    {
        var server = PduVerifier.ServerOf(alias);
        try
        {
            var answer = await client.GetJsonAsync(server, $"/_matrix/federation/v1/query/directory?room_alias={Uri.EscapeDataString(alias)}", ct);
            var servers = answer["servers"] is JsonArray a ? a.Select(s => s!.GetValue<string>()).ToList() : [];
            return (answer["room_id"]!.GetValue<string>(), servers);
        }
        catch (FederationException e) when (e.Status is 404 or 0)
        {
            throw new MatrixException(MatrixError.NotFound($"Room alias {alias} not found"));
        }
    }

    public async Task JoinAsync(string roomId, string userId, JsonObject content, IEnumerable<string> servers, CancellationToken ct)
    {
        var own = matrix.Value.ServerName;
        Exception? last = null;
        foreach (var server in servers.Append(PduVerifier.ServerOf(roomId)).Where(s => s != own && s.Length > 0).Distinct())
        {
            try
            {
                await JoinViaAsync(server, roomId, userId, content, ct);
                return;
            }
            catch (FederationException e) when (e.Error is { ErrCode: "M_FORBIDDEN" or "M_INCOMPATIBLE_ROOM_VERSION" } error)
            {
                throw new MatrixException(error with { Status = 403 });
            }
            catch (FederationException e)
            {
                logger.LogInformation("Join of {Room} via {Server} failed: {Error}", roomId, server, e.Message);
                last = e;
            }
        }
        throw new MatrixException(MatrixError.NotFound($"No server in room {roomId} could be reached{(last is null ? "" : ": " + last.Message)}"));
    }

    async Task JoinViaAsync(string server, string roomId, string userId, JsonObject content, CancellationToken ct)
    {
        var versions = string.Join('&', RoomVersions.Supported.Select(v => "ver=" + v));
        var made = await client.GetJsonAsync(server,
            $"/_matrix/federation/v1/make_join/{Uri.EscapeDataString(roomId)}/{Uri.EscapeDataString(userId)}?{versions}", ct);
        var version = made["room_version"]?.GetValue<string>() ?? "1";
        if (!RoomVersions.IsSupported(version))
            throw new MatrixException(new MatrixError("M_UNSUPPORTED_ROOM_VERSION", $"Room version {version} is not supported"));
        if (made["event"] is not JsonObject template || template["room_id"]?.GetValue<string>() != roomId
            || template["state_key"]?.GetValue<string>() != userId || template["type"]?.GetValue<string>() != EventTypes.Member)
            throw new FederationException(server, 502, null, $"{server} answered make_join with no usable template");

        var join = (JsonObject)template.DeepClone();
        join.Remove("signatures");
        join.Remove("hashes");
        join.Remove("unsigned");
        var joinContent = (JsonObject)content.DeepClone();
        joinContent["membership"] = Memberships.Join;
        join["content"] = joinContent;
        join["origin"] = matrix.Value.ServerName;
        join["origin_server_ts"] = clock.GetUtcNow().ToUnixTimeMilliseconds();
        join["sender"] = userId;
        join["hashes"] = new JsonObject { ["sha256"] = EventHashes.ContentHash(join) };
        var (signed, eventId) = PduFactory.Seal(join, version, matrix.Value.ServerName, await keys.CurrentAsync(ct));

        var answer = await client.PutJsonAsync(server,
            $"/_matrix/federation/v2/send_join/{Uri.EscapeDataString(roomId)}/{Uri.EscapeDataString(eventId)}", signed, ct);
        // The resident server may add its signature (restricted joins); otherwise it is the event we sent.
        var finalJoin = answer["event"] is JsonObject returned && EventHashes.EventId(returned, version) == eventId ? returned : signed;

        // One pass over both lists, oldest first: an event's auth events are checked before it.
        var known = new Dictionary<string, JsonObject>();
        var stateIds = new HashSet<string>();
        foreach (var node in answer["state"] as JsonArray ?? [])
            if (node is JsonObject s) stateIds.Add(EventHashes.EventId(s, version));
        var all = new JsonArray([.. (answer["auth_chain"] as JsonArray ?? []).Concat(answer["state"] as JsonArray ?? []).Select(n => n?.DeepClone())]);
        var accepted = await CheckAllAsync(roomId, version, all, known, ct);
        var chain = accepted.Where(a => !stateIds.Contains(a.EventId)).ToList();
        var state = accepted.Where(a => stateIds.Contains(a.EventId)).DistinctBy(a => a.EventId).ToList();
        if (!state.Any(s => s.Pdu["type"]?.GetValue<string>() == EventTypes.Create))
            throw new FederationException(server, 502, null, $"{server} answered send_join without the room's create event");
        var (joinPdu, error) = await verifier.VerifyAsync(finalJoin, version, ct);
        if (joinPdu is null) throw new FederationException(server, 502, null, $"the join event came back invalid: {error}");
        if (PduAuth.CheckAgainstAuthEvents(joinPdu, id => known.GetValueOrDefault(id)) is { } reason)
            throw new MatrixException(MatrixError.Forbidden($"The join is not allowed: {reason}"));

        await writer.ImportJoinAsync(roomId, version, chain, state, (joinPdu.EventId, joinPdu.Pdu), ct);
    }

    /// <summary>Verifies PDUs (signatures, hashes) and checks each against its auth events, oldest first; drops what fails.</summary>
    async Task<List<(string EventId, JsonObject Pdu)>> CheckAllAsync(string roomId, string version, JsonNode? list,
        Dictionary<string, JsonObject> known, CancellationToken ct)
    {
        var verified = new List<VerifiedPdu>();
        foreach (var node in list as JsonArray ?? [])
        {
            if (node is not JsonObject pdu) continue;
            var (ok, error) = await verifier.VerifyAsync(pdu, version, ct);
            if (ok is null || ok.RoomId != roomId) logger.LogWarning("Dropped a PDU of {Room} from send_join: {Error}", roomId, error ?? "other room");
            else verified.Add(ok);
        }
        var accepted = new List<(string, JsonObject)>();
        foreach (var pdu in verified.OrderBy(p => p.Depth).ThenBy(p => p.EventId, StringComparer.Ordinal))
        {
            if (known.ContainsKey(pdu.EventId)) { accepted.Add((pdu.EventId, pdu.Pdu)); continue; }
            if (PduAuth.CheckAgainstAuthEvents(pdu, id => known.GetValueOrDefault(id)) is { } reason)
            {
                logger.LogWarning("Rejected {Event} of {Room} from send_join: {Reason}", pdu.EventId, roomId, reason);
                continue;
            }
            known[pdu.EventId] = pdu.Pdu;
            accepted.Add((pdu.EventId, pdu.Pdu));
        }
        return accepted;
    }
}
