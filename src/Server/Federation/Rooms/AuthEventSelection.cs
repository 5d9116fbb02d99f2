namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// Server-server spec "Auth events selection": which state events an event cites as its `auth_events`, and (auth rule 2)
/// the only (type, state_key) pairs an event may cite.
/// </summary>
public static class AuthEventSelection
{
    /// <summary>The (type, state_key) pairs an event of this shape cites, when the room has them.</summary>
    public static IReadOnlyList<(string Type, string StateKey)> Keys(string type, string? stateKey, string sender, JsonObject content)
    {
        if (type == EventTypes.Create && stateKey == "") return [];
        var keys = new List<(string, string)> { (EventTypes.Create, ""), (EventTypes.PowerLevels, ""), (EventTypes.Member, sender) };
        if (type == EventTypes.Member && stateKey is not null)
        {
            keys.Add((EventTypes.Member, stateKey));
            var membership = content.String("membership");
            if (membership is Memberships.Join or Memberships.Invite or Memberships.Knock) keys.Add((EventTypes.JoinRules, ""));
            if (membership == Memberships.Invite && content["third_party_invite"]?["signed"]?["token"] is JsonValue token
                && token.TryGetValue<string>(out var t))
                keys.Add(("m.room.third_party_invite", t));
            if (content.String("join_authorised_via_users_server") is { } via) keys.Add((EventTypes.Member, via));
        }
        return keys.Distinct().ToList();
    }

    /// <summary>The ids of the current state events the new event cites, in selection order.</summary>
    public static List<string> Select(RoomState state, string type, string? stateKey, string sender, JsonObject content) =>
        Keys(type, stateKey, sender, content)
            .Select(k => state.Get(k.Type, k.StateKey)?.EventId)
            .OfType<string>()
            .Distinct()
            .ToList();
}
