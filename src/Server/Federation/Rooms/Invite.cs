using WalkieTalkie.Server.Federation.Keys;

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// Invites across servers (PUT /_matrix/federation/v2/invite/{roomId}/{eventId}): the inviting server sends the signed
/// invite with the room's stripped state; the invitee's server checks it, adds its signature, shows it to its user.
/// </summary>
public sealed class RemoteInvite(FederationClient client, RoomWriter writer, IQuerySession query)
{
    static readonly string[] StrippedTypes =
        [EventTypes.Create, EventTypes.JoinRules, EventTypes.Name, "m.room.avatar", EventTypes.Encryption, EventTypes.CanonicalAlias, EventTypes.Topic];

    /// <summary>The inviting side: invite <paramref name="invitee"/> of another server.</summary>
    public async Task SendAsync(string roomId, string sender, string invitee, JsonObject content, CancellationToken ct)
    {
        var server = PduVerifier.ServerOf(invitee);
        var room = await query.LoadAsync<RoomState>(roomId, ct) ?? throw new MatrixException(MatrixError.NotFound("Unknown room"));
        var stripped = new JsonArray(room.All()
            .Where(s => (StrippedTypes.Contains(s.Type) && s.StateKey == "") || (s.Type == EventTypes.Member && s.StateKey == sender))
            .Select(s => (JsonNode)new JsonObject { ["type"] = s.Type, ["state_key"] = s.StateKey, ["sender"] = s.Entry.Sender, ["content"] = JsonNode.Parse(s.Entry.Content) })
            .ToArray());
        await writer.AppendCountersignedAsync(roomId, new RoomEventDraft(sender, EventTypes.Member, invitee, content), server, async (pdu, eventId, version) =>
        {
            try
            {
                var answer = await client.PutJsonAsync(server, $"/_matrix/federation/v2/invite/{Uri.EscapeDataString(roomId)}/{Uri.EscapeDataString(eventId)}",
                    new JsonObject { ["event"] = pdu.DeepClone(), ["invite_room_state"] = stripped.DeepClone(), ["room_version"] = version }, ct);
                return answer["event"] as JsonObject ?? throw new MatrixException(new MatrixError("M_UNKNOWN", $"{server} answered no event") { Status = 502 });
            }
            catch (FederationException e) when (e.Error is { } error)
            {
                throw new MatrixException(error with { Status = e.Status is >= 400 and < 500 ? e.Status : 502 });
            }
        }, ct);
    }

}

/// <summary>The invitee's server: PUT /_matrix/federation/v2/invite/{roomId}/{eventId}.</summary>
public static class ReceiveInvite
{
    /// <summary>The invite event with this server's signature added.</summary>
    public sealed record Response(JsonObject Event);

    public static void MapInvite(this RouteGroupBuilder federation) =>
        federation.MapPut("/v2/invite/{roomId}/{eventId}", Receive);

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Receive(string roomId,
        string eventId, HttpContext http, PduVerifier verifier, RoomWriter writer, IQuerySession q, ServerSigningKeys keys,
        IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        var origin = http.FederationOrigin();
        var body = await MatrixBody.ReadObjectAsync(http.Request);
        var version = body.String("room_version") ?? "1";
        if (!RoomVersions.IsSupported(version)) return FederationErrors.IncompatibleRoomVersion($"Room version {version} is not supported", version).ToTypedResult();
        if (body["event"] is not JsonObject raw) return MatrixError.BadJson("`event` must be an object").ToTypedResult();
        var (pdu, error) = await verifier.VerifyAsync(raw, version, ct);
        if (pdu is null) return MatrixError.BadJson(error!).ToTypedResult();
        if (pdu.Redacted) return MatrixError.BadJson("The event's content hash does not match").ToTypedResult();
        if (pdu.EventId != eventId || pdu.RoomId != roomId) return MatrixError.BadJson("The event does not match the path").ToTypedResult();
        var sender = pdu.Pdu["sender"]!.GetValue<string>();
        if (PduVerifier.ServerOf(sender) != origin) return MatrixError.Forbidden("The inviter is not of the requesting server").ToTypedResult();
        if (pdu.Type != EventTypes.Member || pdu.Pdu["content"]?["membership"]?.GetValue<string>() != Memberships.Invite || pdu.StateKey is not { } invitee)
            return MatrixError.BadJson("Not an invite").ToTypedResult();
        if (PduVerifier.ServerOf(invitee) != matrix.Value.ServerName || await q.LoadAsync<UserAccount>(invitee, ct) is null)
            return MatrixError.NotFound($"Unknown user {invitee}").ToTypedResult();

        var signed = (JsonObject)pdu.Pdu.DeepClone();
        var key = await keys.CurrentAsync(ct);
        var signature = Crypto.JsonSigning.SignatureOf(Redaction.Redact(signed, version), key);
        ((JsonObject)signed["signatures"]!)[matrix.Value.ServerName] = new JsonObject { [key.KeyId] = signature };
        var stripped = body["invite_room_state"] is JsonArray a ? a.OfType<JsonObject>() : [];
        await writer.StoreRemoteInviteAsync(roomId, version, eventId, signed, stripped, ct);
        return TypedResults.Ok(new Response(signed));
    }
}
