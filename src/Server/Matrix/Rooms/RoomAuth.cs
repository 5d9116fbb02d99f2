namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>
/// The room version 10 authorization rules (server-server spec, rules 1 and 3-11; rule 2, the auth events themselves, is
/// checked by the federation layer), for local and remote events alike, against the state before the event.
/// Returns null when allowed, else the reason for M_FORBIDDEN.
/// </summary>
public static class RoomAuth
{
    /// <summary>As below, for a new event of this server (its only previous event is the create event when it is the second).</summary>
    public static string? Check(RoomState room, RoomEvent e) => Check(room, e, room.EventCount == 1);

    /// <param name="onlyCreateBefore">The event's only prev event is the room's m.room.create (rule 4.3.1).</param>
    public static string? Check(RoomState room, RoomEvent e, bool onlyCreateBefore)
    {
        if (e.Type == EventTypes.Create) return CheckCreate(room, e);
        if (!room.Exists) return "Unknown room";
        var create = room.Content(EventTypes.Create, "")!;
        // Rule 3: m.federate false keeps the room to the creator's server.
        if (create["m.federate"] is JsonValue f && f.TryGetValue<bool>(out var federate) && !federate
            && ServerOf(e.Sender) != ServerOf(room.Creator ?? ""))
            return "This room does not federate";

        if (e.Type == EventTypes.Member) return e.StateKey is null ? "m.room.member needs a state key" : CheckMember(room, e, onlyCreateBefore);

        if (!room.IsJoined(e.Sender)) return "You are not joined to this room";
        var levels = room.PowerLevels;
        var senderLevel = levels.Of(e.Sender);
        if (e.Type == "m.room.third_party_invite")
            return senderLevel >= levels.Invite ? null : "You do not have permission to invite";
        if (senderLevel < levels.ToSend(e.Type, e.IsState))
            return $"You need power level {levels.ToSend(e.Type, e.IsState)} to send {e.Type}";

        // Rule 8: a state key that names a user belongs to that user.
        if (e.StateKey is { Length: > 0 } key && key[0] == '@' && key != e.Sender)
            return "You may not set state keyed by another user";

        if (e.Type == EventTypes.PowerLevels && e.StateKey == "") return CheckPowerLevels(room, levels, senderLevel, e);
        return null;
    }

    /// <summary>
    /// What this server adds for its own users' events (not an auth rule, so remote events are not held to it):
    /// a state key `_@user:server...` (MSC4002's consent mirror, as MatrixRTC does) is written only by that user.
    /// </summary>
    public static string? CheckLocalPolicy(RoomEvent e) =>
        e.StateKey is { Length: > 1 } key && key.StartsWith("_@", StringComparison.Ordinal) && !OwnedBy(key[1..], e.Sender)
            ? "You may not set state keyed by another user" : null;

    /// <summary>`@user:server` or `@user:server_suffix` belongs to @user:server.</summary>
    public static bool OwnedBy(string key, string userId) =>
        key == userId || key.StartsWith(userId + "_", StringComparison.Ordinal);

    static string? CheckCreate(RoomState room, RoomEvent e)
    {
        if (room.Exists) return "Room already exists";
        if (e.StateKey != "") return "m.room.create needs an empty state key";
        if (ServerOf(e.RoomId) != ServerOf(e.Sender)) return "The room id's server must be the creator's";
        var content = e.ContentObject();
        if (content["room_version"] is { } version && version.GetValueKind() == JsonValueKind.String
            && version.GetValue<string>() is not ("10" or "11"))
            return "Unsupported room version";
        return content.String("creator") is null && content.String("room_version") != "11" ? "m.room.create needs a creator" : null;
    }

    static string? CheckMember(RoomState room, RoomEvent e, bool onlyCreateBefore)
    {
        var target = e.StateKey!;
        var content = e.ContentObject();
        var membership = content.String("membership");
        var current = room.MembershipOf(target);
        var senderMembership = room.MembershipOf(e.Sender);
        var levels = room.PowerLevels;
        var senderLevel = levels.Of(e.Sender);
        var targetLevel = levels.Of(target);
        var joinRule = room.JoinRule;

        switch (membership)
        {
            case Memberships.Join:
                // The creator's first join right after m.room.create.
                if (onlyCreateBefore && room.Creator == target && e.Sender == target) return null;
                if (e.Sender != target) return "You can only join as yourself";
                if (current == Memberships.Ban) return "You are banned from this room";
                if (joinRule is "invite" or "knock")
                    return current is Memberships.Join or Memberships.Invite ? null : "You are not invited to this room";
                if (joinRule is "restricted" or "knock_restricted")
                {
                    if (current is Memberships.Join or Memberships.Invite) return null;
                    var via = content.String("join_authorised_via_users_server");
                    return via is not null && room.IsJoined(via) && levels.Of(via) >= levels.Invite
                        ? null : "You are not allowed to join this restricted room";
                }
                return joinRule == "public" ? null : "You are not invited to this room";
            case Memberships.Invite:
                if (content["third_party_invite"] is not null) return "Third-party invites are not supported";
                if (senderMembership != Memberships.Join) return "You are not joined to this room";
                if (current is Memberships.Ban) return "The user is banned from this room";
                if (current is Memberships.Join) return "The user is already in the room";
                return senderLevel >= levels.Invite ? null : "You do not have permission to invite";
            case Memberships.Leave when e.Sender == target:
                return current is Memberships.Join or Memberships.Invite or Memberships.Knock ? null : "You are not in this room";
            case Memberships.Leave:
                if (senderMembership != Memberships.Join) return "You are not joined to this room";
                if (current == Memberships.Ban && senderLevel < levels.Ban) return "You do not have permission to unban";
                return senderLevel >= levels.Kick && senderLevel > targetLevel ? null : "You do not have permission to kick";
            case Memberships.Ban:
                if (senderMembership != Memberships.Join) return "You are not joined to this room";
                return senderLevel >= levels.Ban && senderLevel > targetLevel ? null : "You do not have permission to ban";
            case Memberships.Knock:
                if (joinRule is not ("knock" or "knock_restricted")) return "This room does not allow knocking";
                if (e.Sender != target) return "You can only knock as yourself";
                return current is Memberships.Ban or Memberships.Invite or Memberships.Join ? "You cannot knock now" : null;
            default:
                return $"Unsupported membership {membership}";
        }
    }

    static string? CheckPowerLevels(RoomState room, PowerLevels current, long senderLevel, RoomEvent e)
    {
        var content = e.ContentObject();
        if (PowerLevelsShape(content) is { } shape) return shape;
        if (room.Get(EventTypes.PowerLevels, "") is null) return null; // the initial power levels of createRoom
        var proposed = PowerLevels.From(content, room.Creator);

        // Any level that changes must be ≤ the sender's on both sides; other users at or above the sender are untouchable.
        bool Changes(long before, long after) => before != after && (before > senderLevel || after > senderLevel);
        if (Changes(current.UsersDefault, proposed.UsersDefault) || Changes(current.EventsDefault, proposed.EventsDefault)
            || Changes(current.StateDefault, proposed.StateDefault) || Changes(current.Ban, proposed.Ban)
            || Changes(current.Kick, proposed.Kick) || Changes(current.Redact, proposed.Redact) || Changes(current.Invite, proposed.Invite))
            return "You cannot change a power level above your own";
        foreach (var type in current.Events.Keys.Union(proposed.Events.Keys))
        {
            var before = current.Events.GetValueOrDefault(type, long.MinValue);
            var after = proposed.Events.GetValueOrDefault(type, long.MinValue);
            if (before != after && (before > senderLevel || after > senderLevel)) return "You cannot change a power level above your own";
        }
        var currentNotifications = Levels(room.Content(EventTypes.PowerLevels, "")?["notifications"]);
        var proposedNotifications = Levels(content["notifications"]);
        foreach (var key in currentNotifications.Keys.Union(proposedNotifications.Keys))
        {
            var before = currentNotifications.GetValueOrDefault(key, long.MinValue);
            var after = proposedNotifications.GetValueOrDefault(key, long.MinValue);
            if (before != after && (before > senderLevel || after > senderLevel)) return "You cannot change a power level above your own";
        }
        foreach (var user in current.Users.Keys.Union(proposed.Users.Keys))
        {
            var had = current.Users.TryGetValue(user, out var before);
            var has = proposed.Users.TryGetValue(user, out var after);
            if (had == has && before == after) continue;
            if (has && after > senderLevel) return "You cannot give a power level above your own";
            if (user != e.Sender && had && before >= senderLevel) return "You cannot change the power level of a user at or above your own";
        }
        return null;
    }

    /// <summary>Room version 10: every level is a JSON integer, `users` maps user ids to integers.</summary>
    static string? PowerLevelsShape(JsonObject content)
    {
        static bool IsInteger(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out _);
        foreach (var key in new[] { "users_default", "events_default", "state_default", "ban", "redact", "kick", "invite" })
            if (content[key] is { } value && !IsInteger(value)) return $"Power level `{key}` must be an integer";
        foreach (var map in new[] { "events", "notifications", "users" })
        {
            if (content[map] is null) continue;
            if (content[map] is not JsonObject o || o.Any(kv => !IsInteger(kv.Value))) return $"Power levels `{map}` must map to integers";
            if (map == "users" && o.Any(kv => !MatrixIds.TryParseUserId(kv.Key, out _, out _))) return "Power levels `users` must be user ids";
        }
        return null;
    }

    static Dictionary<string, long> Levels(JsonNode? node) =>
        node is JsonObject o
            ? o.Where(kv => kv.Value is JsonValue v && v.TryGetValue<long>(out _)).ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<long>())
            : [];

    static string ServerOf(string id) => id.IndexOf(':') is var colon and >= 0 ? id[(colon + 1)..] : "";
}
