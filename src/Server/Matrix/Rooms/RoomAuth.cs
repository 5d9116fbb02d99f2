namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>
/// Authorization of a new event against the room's current state (client-server subset of the room v10 auth rules):
/// membership transitions, power levels for sends, state, kicks, bans, invites and redactions.
/// Returns null when allowed, else the reason for M_FORBIDDEN.
/// </summary>
public static class RoomAuth
{
    public static string? Check(RoomState room, RoomEvent e)
    {
        if (e.Type == EventTypes.Create)
            return room.Exists ? "Room already exists" : e.StateKey == "" ? null : "m.room.create needs an empty state key";
        if (!room.Exists) return "Unknown room";

        if (e.Type == EventTypes.Member && e.StateKey is not null) return CheckMember(room, e);

        if (!room.IsJoined(e.Sender)) return "You are not joined to this room";
        var levels = room.PowerLevels;
        var senderLevel = levels.Of(e.Sender);
        if (senderLevel < levels.ToSend(e.Type, e.IsState))
            return $"You need power level {levels.ToSend(e.Type, e.IsState)} to send {e.Type}";

        // State keys that name a user belong to that user (MSC3757 also allows `@user:server_suffix`).
        if (e.StateKey is { Length: > 0 } key && key[0] == '@' && key != e.Sender && !key.StartsWith(e.Sender + "_", StringComparison.Ordinal))
            return "You may not set state keyed by another user";

        if (e.Type == EventTypes.PowerLevels && e.StateKey == "") return CheckPowerLevels(room, levels, senderLevel, e);
        if (e.Type == EventTypes.Redaction && e.Redacts is not null && senderLevel < levels.Redact)
            return null; // own events only: checked by the redact endpoint, which knows the target's sender
        return null;
    }

    static string? CheckMember(RoomState room, RoomEvent e)
    {
        var target = e.StateKey!;
        var membership = e.ContentObject()["membership"]?.GetValue<string>();
        var current = room.MembershipOf(target);
        var senderMembership = room.MembershipOf(e.Sender);
        var levels = room.PowerLevels;
        var senderLevel = levels.Of(e.Sender);
        var targetLevel = levels.Of(target);

        switch (membership)
        {
            case Memberships.Join:
                if (e.Sender != target) return "You can only join as yourself";
                if (current == Memberships.Ban) return "You are banned from this room";
                // The creator's first join right after m.room.create.
                if (room.Creator == target && room.EventCount == 1) return null;
                if (current is Memberships.Join or Memberships.Invite) return null;
                return room.JoinRule == "public" ? null : "You are not invited to this room";
            case Memberships.Invite:
                if (senderMembership != Memberships.Join) return "You are not joined to this room";
                if (current is Memberships.Ban) return "The user is banned from this room";
                if (current is Memberships.Join) return "The user is already in the room";
                return senderLevel >= levels.Invite ? null : "You do not have permission to invite";
            case Memberships.Leave when e.Sender == target:
                return current is Memberships.Join or Memberships.Invite or Memberships.Knock ? null : "You are not in this room";
            case Memberships.Leave:
                if (senderMembership != Memberships.Join) return "You are not joined to this room";
                if (current == Memberships.Ban)
                    return senderLevel >= levels.Ban && senderLevel > targetLevel ? null : "You do not have permission to unban";
                return senderLevel >= levels.Kick && senderLevel > targetLevel ? null : "You do not have permission to kick";
            case Memberships.Ban:
                if (senderMembership != Memberships.Join) return "You are not joined to this room";
                return senderLevel >= levels.Ban && senderLevel > targetLevel ? null : "You do not have permission to ban";
            default:
                return $"Unsupported membership {membership}";
        }
    }

    static string? CheckPowerLevels(RoomState room, PowerLevels current, long senderLevel, RoomEvent e)
    {
        if (room.Get(EventTypes.PowerLevels, "") is null) return null; // the initial power levels of createRoom
        var proposed = PowerLevels.From(e.ContentObject(), room.Creator);

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
        foreach (var user in current.Users.Keys.Union(proposed.Users.Keys))
        {
            var before = current.Users.GetValueOrDefault(user, current.UsersDefault);
            var after = proposed.Users.GetValueOrDefault(user, proposed.UsersDefault);
            if (before == after) continue;
            if (after > senderLevel) return "You cannot give a power level above your own";
            if (user != e.Sender && before >= senderLevel) return "You cannot change the power level of a user at or above your own";
        }
        return null;
    }
}
