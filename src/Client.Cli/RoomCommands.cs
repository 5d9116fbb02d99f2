namespace WalkieTalkie.Client.Cli;

/// <summary><c>walkie room create|join|invite|leave</c>: enough Matrix for a terminal user to set up a walkie-talkie room.</summary>
internal static class RoomCommands
{
    public static async Task<int> RunAsync(ParsedCommand command, MatrixCredentials credentials, CliEnvironment env, CancellationToken ct)
    {
        using var session = new MatrixSession(credentials, env.Handler);
        switch (command.Command)
        {
            case "room create":
                return await CreateAsync(command, session, env, ct);
            case "room join":
                string joined = await session.JoinAsync(command.Require("room"), ct);
                env.Out.WriteLine($"Joined {joined}.");
                await SayWhatNextAsync(session, joined, env, ct);
                return ExitCodes.Ok;
            case "room invite":
                string room = await session.ResolveRoomAsync(command.Require("room"), ct);
                await session.InviteAsync(room, command.Require("user"), ct);
                env.Out.WriteLine($"Invited {command.Require("user")} to {room}; they join with `walkie room join --room {room}`.");
                return ExitCodes.Ok;
            case "room leave":
                string left = await session.ResolveRoomAsync(command.Require("room"), ct);
                await session.LeaveAsync(left, ct);
                env.Out.WriteLine($"Left {left}: this user's devices no longer hear or talk there.");
                return ExitCodes.Ok;
            default:
                throw new UsageException($"Unknown command \"{command.Command}\".");
        }
    }

    private static async Task<int> CreateAsync(ParsedCommand command, MatrixSession session, CliEnvironment env, CancellationToken ct)
    {
        var invites = command.Get("invite")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        var request = new CreateRoomRequest
        {
            Name = command.Get("name"),
            RoomAliasName = command.Get("alias"),
            Preset = command.Has("public") ? "public_chat" : "private_chat",
            Invite = invites,
            InitialState = command.Has("encrypted")
                ? [new StateEvent("m.room.encryption", "", new() { ["algorithm"] = "m.megolm.v1.aes-sha2" })]
                : [],
        }.WithWalkieTalkie(new WalkieRoomConfig());
        string roomId = await session.CreateRoomAsync(request, ct);
        env.Out.WriteLine($"Created walkie-talkie room {roomId}" + (command.Get("name") is { } name ? $" \"{name}\"" : "") + ".");
        if (command.Get("alias") is { } alias)
            env.Out.WriteLine($"Alias: #{alias}:{ServerOf(roomId)}");
        if (invites.Length > 0)
            env.Out.WriteLine($"Invited {string.Join(", ", invites)}.");
        if (command.Has("encrypted"))
            env.Out.WriteLine("The room is end-to-end encrypted: talk there from the web client (/walkie/ on the homeserver); this CLI cannot.");
        else
            env.Out.WriteLine($"Next: `walkie consent --room {roomId}`, then `walkie talk --room {roomId} --wav FILE`.");
        return ExitCodes.Ok;
    }

    private static async Task SayWhatNextAsync(MatrixSession session, string roomId, CliEnvironment env, CancellationToken ct)
    {
        if (await session.IsEncryptedAsync(roomId, ct))
            env.Out.WriteLine("The room is end-to-end encrypted: talk there from the web client (/walkie/ on the homeserver); this CLI cannot.");
        else
            env.Out.WriteLine($"Next: `walkie consent --room {roomId}` to hear and talk there.");
    }

    private static string ServerOf(string roomId) => roomId[(roomId.IndexOf(':') + 1)..];

    /// <summary>
    /// The CLI has no Olm/Megolm: in an encrypted room it would send the room's voice in clear (kind-1 frames, an
    /// unencrypted voice message) or hear only ciphertext. It refuses, and says where to go instead.
    /// </summary>
    public static async Task<bool> RefuseEncryptedAsync(MatrixSession session, string roomId, string what, CliEnvironment env, CancellationToken ct)
    {
        if (!await session.IsEncryptedAsync(roomId, ct)) return false;
        env.Error.WriteLine($"walkie: {roomId} is end-to-end encrypted and this client cannot do Olm/Megolm, so it will not {what} there " +
                            "(that would put the room's voice on the wire in clear). Use the web client at /walkie/ on the homeserver.");
        return true;
    }
}
