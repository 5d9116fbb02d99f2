using WalkieTalkie.Server.Federation.Rooms;

namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>POST /createRoom: the spec's event sequence (create, creator join, power levels, alias, preset, initial state, name, topic, invites).</summary>
public static class CreateRoom
{
    public sealed record Response(string RoomId);

    public static void MapCreateRoom(this RouteGroupBuilder v3) =>
        v3.MapPost("/createRoom", Handle).RequireAccessToken();

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(HttpContext http, RoomWriter writer, IQuerySession query, IOptions<MatrixOptions> matrix,
        RemoteInvite remoteInvite, ILogger<RoomWriter> log, CancellationToken ct)
    {
        var creator = http.Device().UserId;
        var body = await MatrixBody.ReadObjectAsync(http.Request);
        var server = matrix.Value.ServerName;
        var preset = body.String("preset") ?? (body.String("visibility") == "public" ? "public_chat" : "private_chat");
        if (preset is not ("public_chat" or "private_chat" or "trusted_private_chat"))
            return MatrixError.BadJson($"Unknown preset {preset}").ToTypedResult();
        var roomVersion = body.String("room_version") ?? "10";
        if (roomVersion != "10")
            return new MatrixError("M_UNSUPPORTED_ROOM_VERSION", "Only room version 10 is supported").ToTypedResult();

        var invites = body["invite"] is JsonArray a ? a.Select(i => i?.GetValue<string>() ?? "").ToList() : [];
        if (invites.Any(i => !MatrixIds.TryParseUserId(i, out _, out _))) return MatrixError.InvalidParam("invite must list user ids").ToTypedResult();
        var initialState = body["initial_state"] is JsonArray s ? s.OfType<JsonObject>().ToList() : [];
        if (initialState.Any(e => e.String("type") is null || e["content"] is not JsonObject))
            return MatrixError.BadJson("initial_state entries need `type` and object `content`").ToTypedResult();

        string? alias = null;
        if (body.String("room_alias_name") is { } aliasName)
        {
            alias = $"#{aliasName}:{server}";
            if (await query.LoadAsync<RoomAlias>(alias, ct) is not null)
                return new MatrixError("M_ROOM_IN_USE", "Room alias already taken").ToTypedResult();
        }

        bool IsRemote(string userId) => MatrixIds.TryParseUserId(userId, out _, out var of) && of != server;
        var roomId = MatrixIds.NewRoomId(server);
        var account = await query.LoadAsync<UserAccount>(creator, ct);
        await writer.AppendAsync(roomId, _ =>
        {
            var drafts = new List<RoomEventDraft>();
            void Add(string type, string? key, JsonObject content) => drafts.Add(new RoomEventDraft(creator, type, key, content));

            var create = body["creation_content"] as JsonObject is { } cc ? (JsonObject)cc.DeepClone() : [];
            create["creator"] = creator;
            create["room_version"] = roomVersion;
            Add(EventTypes.Create, "", create);
            Add(EventTypes.Member, creator, MemberContent(Memberships.Join, account));

            var powerLevels = DefaultPowerLevels(creator, preset, invites);
            if (body["power_level_content_override"] is JsonObject overrides)
                foreach (var (key, value) in overrides) powerLevels[key] = value?.DeepClone();
            Add(EventTypes.PowerLevels, "", powerLevels);

            if (alias is not null) Add(EventTypes.CanonicalAlias, "", new JsonObject { ["alias"] = alias });
            Add(EventTypes.JoinRules, "", new JsonObject { ["join_rule"] = preset == "public_chat" ? "public" : "invite" });
            Add(EventTypes.HistoryVisibility, "", new JsonObject { ["history_visibility"] = "shared" });
            if (preset != "public_chat") Add(EventTypes.GuestAccess, "", new JsonObject { ["guest_access"] = "can_join" });

            foreach (var e in initialState)
                Add(e.RequireString("type"), e.String("state_key") ?? "", (JsonObject)e["content"]!.DeepClone());
            if (body.String("name") is { } name) Add(EventTypes.Name, "", new JsonObject { ["name"] = name });
            if (body.String("topic") is { } topic) Add(EventTypes.Topic, "", new JsonObject { ["topic"] = topic });

            foreach (var invitee in invites.Where(i => !IsRemote(i)))
                Add(EventTypes.Member, invitee, InviteContent(body));
            return drafts;
        }, ct);

        // An invitee of another server: that server countersigns the invite first (PUT /_matrix/federation/v2/invite).
        foreach (var invitee in invites.Where(IsRemote))
        {
            try
            {
                await remoteInvite.SendAsync(roomId, creator, invitee, InviteContent(body), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The room exists: the client gets it and can invite again; the failed invite is logged, not hidden.
                log.LogWarning(e, "createRoom {RoomId}: the invite of {Invitee} failed", roomId, invitee);
            }
        }

        if (alias is not null) await RoomAlias.SetAsync(query, alias, roomId, creator, ct);
        return TypedResults.Ok(new Response(roomId));
    }

    static JsonObject InviteContent(JsonObject body)
    {
        var content = new JsonObject { ["membership"] = Memberships.Invite };
        if (body["is_direct"] is JsonValue d && d.TryGetValue<bool>(out var direct) && direct) content["is_direct"] = true;
        return content;
    }

    public static JsonObject MemberContent(string membership, UserAccount? account)
    {
        var content = new JsonObject { ["membership"] = membership };
        if (account?.DisplayName is { } name) content["displayname"] = name;
        if (account?.AvatarUrl is { } avatar) content["avatar_url"] = avatar;
        return content;
    }

    static JsonObject DefaultPowerLevels(string creator, string preset, List<string> invites)
    {
        var users = new JsonObject { [creator] = 100 };
        if (preset == "trusted_private_chat")
            foreach (var invitee in invites) users[invitee] = 100;
        return new JsonObject
        {
            ["users"] = users,
            ["users_default"] = 0,
            ["events"] = new JsonObject
            {
                ["m.room.name"] = 50, ["m.room.power_levels"] = 100, ["m.room.history_visibility"] = 100,
                ["m.room.canonical_alias"] = 50, ["m.room.avatar"] = 50, ["m.room.tombstone"] = 100,
                ["m.room.server_acl"] = 100, ["m.room.encryption"] = 100,
                // MSC4002: every member mirrors their own devices' consent (state keys they own).
                ["org.matrix.msc4002.member"] = 0,
            },
            ["events_default"] = 0,
            ["state_default"] = 50,
            ["ban"] = 50,
            ["kick"] = 50,
            ["redact"] = 50,
            ["invite"] = preset == "public_chat" ? 50 : 0,
            ["historical"] = 100,
        };
    }
}
