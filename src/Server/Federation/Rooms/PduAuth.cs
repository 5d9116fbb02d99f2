namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// Auth rules 1-2 and then the rest against the event's own auth events (receipt check 4): the state the event claims
/// to be based on must allow it. The check against the current state is <see cref="RoomWriter"/>'s.
/// </summary>
public static class PduAuth
{
    /// <param name="known">Accepted PDUs by event id (the auth events must be among them).</param>
    public static string? CheckAgainstAuthEvents(VerifiedPdu e, Func<string, JsonObject?> known)
    {
        var content = e.Pdu["content"] as JsonObject ?? [];
        var sender = e.Pdu["sender"]!.GetValue<string>();
        if (e.Type == EventTypes.Create && e.StateKey == "")
        {
            if (e.PrevEvents.Any() || e.AuthEvents.Any()) return "m.room.create cites other events";
            return RoomAuth.Check(new RoomState { Id = e.RoomId }, ToEvent(e), onlyCreateBefore: false);
        }

        var allowed = AuthEventSelection.Keys(e.Type, e.StateKey, sender, content).ToHashSet();
        var state = new RoomState { Id = e.RoomId };
        var seen = new HashSet<(string, string)>();
        JsonObject? create = null;
        string? createId = null;
        var auths = new List<JsonObject>();
        foreach (var id in e.AuthEvents)
        {
            if (known(id) is not { } auth) return $"auth event {id} is unknown or was rejected";
            var key = (auth["type"]!.GetValue<string>(), auth["state_key"]?.GetValue<string>() ?? "");
            if (auth["state_key"] is null || !allowed.Contains(key)) return $"auth event {id} ({key.Item1}) is not one this event may cite";
            if (!seen.Add(key)) return $"two auth events for {key.Item1}";
            if (key.Item1 == EventTypes.Create) (create, createId) = (auth, id);
            auths.Add(auth);
        }
        if (create is null) return "no m.room.create among the auth events";
        if (create["room_id"]?.GetValue<string>() != e.RoomId) return "the auth events belong to another room";

        // Apply the create event first so the auth state knows its creator.
        foreach (var auth in auths.OrderBy(a => a == create ? 0 : 1)) state.Apply(PduFactory.ToRoomEvent(auth, "$auth"));
        var onlyCreateBefore = e.PrevEvents.Count() == 1 && e.PrevEvents.First() == createId;
        return RoomAuth.Check(state, ToEvent(e), onlyCreateBefore);
    }

    static RoomEvent ToEvent(VerifiedPdu e) => PduFactory.ToRoomEvent(e.Pdu, e.EventId);
}
