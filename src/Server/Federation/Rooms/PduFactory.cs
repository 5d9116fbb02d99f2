using WalkieTalkie.Server.Federation.Crypto;

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>Builds the PDU of a new local event: auth events, prev events, depth, content hash; then signs it and derives its id.</summary>
public static class PduFactory
{
    public static JsonObject Create(string origin, RoomState state, RoomDag dag, string roomId, string sender, string type, string? stateKey,
        JsonObject content, string? redacts, long originServerTs)
    {
        var pdu = new JsonObject
        {
            ["auth_events"] = new JsonArray(AuthEventSelection.Select(state, type, stateKey, sender, content).Select(id => (JsonNode)id).ToArray()),
            ["content"] = content.DeepClone(),
            ["depth"] = dag.NextDepth,
            ["origin"] = origin,
            ["origin_server_ts"] = originServerTs,
            ["prev_events"] = new JsonArray(dag.PrevEvents().Select(id => (JsonNode)id).ToArray()),
            ["room_id"] = roomId,
            ["sender"] = sender,
            ["type"] = type,
        };
        if (stateKey is not null) pdu["state_key"] = stateKey;
        if (redacts is not null) pdu["redacts"] = redacts;
        pdu["hashes"] = new JsonObject { ["sha256"] = EventHashes.ContentHash(pdu) };
        return pdu;
    }

    /// <summary>The signed PDU and its event id.</summary>
    public static (JsonObject Pdu, string EventId) Seal(JsonObject pdu, string roomVersion, string origin, Ed25519Key key)
    {
        var signature = JsonSigning.SignatureOf(Redaction.Redact(pdu, roomVersion), key);
        pdu["signatures"] = new JsonObject { [origin] = new JsonObject { [key.KeyId] = signature } };
        return (pdu, EventHashes.EventId(pdu, roomVersion));
    }

    /// <summary>The room event (client-server model) a PDU stands for.</summary>
    public static RoomEvent ToRoomEvent(JsonObject pdu, string eventId) =>
        new(eventId, pdu.RequireString("room_id"), pdu.RequireString("sender"), pdu.RequireString("type"), pdu.String("state_key"),
            (pdu["content"] as JsonObject ?? []).ToJsonString(), pdu["origin_server_ts"]?.GetValue<long>() ?? 0)
        {
            Redacts = pdu.String("redacts") ?? (pdu["content"] as JsonObject)?.String("redacts"),
        };
}
