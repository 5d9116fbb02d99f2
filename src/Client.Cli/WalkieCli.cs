using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using WalkieTalkie.Client.Listen;
using WalkieTalkie.Client.Live;
using WalkieTalkie.Client.Talk;
using WalkieTalkie.Client.Walkie;

namespace WalkieTalkie.Client.Cli;

/// <summary>What the commands run against; tests replace the console, stdin, the HTTP stack and the WebSocket connector.</summary>
internal sealed record CliEnvironment(TextWriter Out, TextWriter Error, Func<Stream> OpenStdin)
{
    public HttpMessageHandler? Handler { get; init; }
    public WebSocketConnector? Connector { get; init; }
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    public static CliEnvironment Console() => new(System.Console.Out, System.Console.Error, System.Console.OpenStandardInput);
}

/// <summary>The <c>walkie</c> commands.</summary>
internal static class WalkieCli
{
    /// <param name="stop">Ctrl-C: ends talking (with a release) or listening (writing what was heard).</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliEnvironment env, CancellationToken stop)
    {
        ParseResult parsed;
        try
        {
            parsed = CommandLine.Parse(args);
        }
        catch (UsageException e)
        {
            env.Error.WriteLine($"walkie: {e.Message}");
            env.Error.WriteLine(e.Command is null ? "Run `walkie --help` for usage." : $"Run `walkie {e.Command} --help` for usage.");
            return ExitCodes.Usage;
        }
        if (parsed is ParseResult.Help help)
        {
            env.Out.Write(help.Command is null ? CommandLine.Usage() : CommandLine.Usage(help.Command));
            return ExitCodes.Ok;
        }

        var command = ((ParseResult.Run)parsed).Command;
        string sessionPath = command.Get(CommandLine.ConfigOption) ?? SessionStore.DefaultPath(env.GetEnvironmentVariable);
        try
        {
            return command.Command switch
            {
                "login" => await LoginAsync(command, sessionPath, env, stop),
                "whoami" => await WhoAmIAsync(sessionPath, env, stop),
                "consent" => await ConsentAsync(command, sessionPath, env, stop),
                "floor" => await FloorAsync(command, sessionPath, env, stop),
                "talk" => await TalkAsync(command, sessionPath, env, stop),
                "listen" => await ListenAsync(command, sessionPath, env, stop),
                var room when room.StartsWith("room ", StringComparison.Ordinal) => await RoomCommands.RunAsync(command, LoadSession(sessionPath), env, stop),
                _ => throw new UsageException($"Unknown command \"{command.Command}\"."),
            };
        }
        catch (UsageException e)
        {
            env.Error.WriteLine($"walkie: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (MatrixApiException e)
        {
            env.Error.WriteLine($"walkie: the server refused: {e.Errcode} ({(int)e.Status}): {e.Error}");
            if (Hint(e.Errcode) is { } hint) env.Error.WriteLine(hint);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is HttpRequestException or WebSocketException or WalkieStreamException or TimeoutException
                                    or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            env.Error.WriteLine($"walkie: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            env.Error.WriteLine("walkie: interrupted.");
            return ExitCodes.Failure;
        }
    }

    private static async Task<int> LoginAsync(ParsedCommand command, string sessionPath, CliEnvironment env, CancellationToken ct)
    {
        using var session = new MatrixSession(new Uri(command.Require("server")), null, env.Handler);
        string user = command.Require("user"), password = command.Require("password");
        var credentials = command.Has("register")
            ? await session.RegisterAsync(user, password, command.Get("device-id"), command.Get("device-name") ?? "walkie CLI", ct)
            : await session.LoginAsync(user, password, command.Get("device-id"), command.Get("device-name") ?? "walkie CLI", ct);
        SessionStore.Save(sessionPath, credentials);
        env.Out.WriteLine($"{(command.Has("register") ? "Registered and logged in" : "Logged in")} as {credentials.UserId}, device {credentials.DeviceId}.");
        env.Out.WriteLine($"Session saved to {sessionPath}.");
        return ExitCodes.Ok;
    }

    private static async Task<int> WhoAmIAsync(string sessionPath, CliEnvironment env, CancellationToken ct)
    {
        var credentials = LoadSession(sessionPath);
        using var session = new MatrixSession(credentials, env.Handler);
        var me = await session.WhoAmIAsync(ct);
        env.Out.WriteLine($"{me.UserId}, device {me.DeviceId ?? credentials.DeviceId}, on {credentials.Homeserver}");
        return ExitCodes.Ok;
    }

    private static async Task<int> ConsentAsync(ParsedCommand command, string sessionPath, CliEnvironment env, CancellationToken ct)
    {
        using var room = await OpenRoomAsync(command, sessionPath, env, ct);
        var (credentials, session, roomId) = room;
        var api = new WalkieApi(session);
        if (command.Has("withdraw"))
        {
            await api.WithdrawConsentAsync(roomId, ct);
            env.Out.WriteLine($"Consent withdrawn: device {credentials.DeviceId} no longer hears or talks in {roomId}.");
            return ExitCodes.Ok;
        }
        var duration = command.GetPositiveLong("duration-ms") is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        var grant = await api.GiveConsentAsync(roomId, duration, ct);
        env.Out.WriteLine(grant.ExpiresTs is { } expires
            ? $"Consent given: device {grant.DeviceId} hears and may talk in {roomId} until {FormatTs(expires)}."
            : $"Consent given: device {grant.DeviceId} hears and may talk in {roomId} until withdrawn.");
        return ExitCodes.Ok;
    }

    private static async Task<int> FloorAsync(ParsedCommand command, string sessionPath, CliEnvironment env, CancellationToken ct)
    {
        using var room = await OpenRoomAsync(command, sessionPath, env, ct);
        var (_, session, roomId) = room;
        var floor = await new WalkieApi(session).GetFloorAsync(roomId, ct);
        if (floor.State == FloorState.Idle)
            env.Out.WriteLine($"{roomId}: idle (last epoch {floor.Epoch}).");
        else
            env.Out.WriteLine($"{roomId}: taken by {Describe(floor.Holder)}, epoch {floor.Epoch}" +
                              (floor.ExpiresTs is { } e ? $", until {FormatTs(e)}" : "") + ".");
        for (int i = 0; i < floor.Queue.Count; i++)
            env.Out.WriteLine($"  queue {i + 1}: {Describe(floor.Queue[i])}");
        return ExitCodes.Ok;
    }

    private static async Task<int> TalkAsync(ParsedCommand command, string sessionPath, CliEnvironment env, CancellationToken stop)
    {
        using var room = await OpenRoomAsync(command, sessionPath, env, stop);
        var (credentials, session, roomId) = room;
        if (await RoomCommands.RefuseEncryptedAsync(session, roomId, "talk", env, stop))
            return ExitCodes.EncryptedRoom;
        using var source = command.Get("wav") is { } wav
            ? (File.Exists(wav) ? PcmSource.FromWavFile(wav) : throw new IOException($"{wav} does not exist."))
            : PcmSource.FromRawStream(env.OpenStdin());
        bool record = command.Has("record");

        await using var stream = new WalkieStream(credentials, StreamOptions(command, env));
        var talk = new PushToTalk(stream, new TalkerOptions { Record = record });
        var options = new TalkOptions
        {
            Priority = command.Has("preempt") ? FloorPriority.Preempt : FloorPriority.Normal,
            GrantTimeout = TimeSpan.FromMilliseconds(command.GetPositiveLong("grant-timeout-ms") ?? 60000),
            OnMessage = message => Report(env.Out, message, roomId),
        };
        env.Out.WriteLine($"Requesting the floor of {roomId}...");
        var outcome = await talk.TalkAsync(roomId, source, options, stop);
        int exit;
        switch (outcome)
        {
            case TalkOutcome.Talked talked:
                var r = talked.Result;
                env.Out.WriteLine($"Sent {r.Frames} frames ({r.Duration.TotalSeconds:0.00} s) in epoch {r.Epoch}" +
                                  (r.End == TalkEnd.Stopped && talked.RevokedReason is null ? ", stopped early" : "") + ".");
                if (talked.RevokedReason is { } reason)
                    env.Error.WriteLine($"walkie: the floor was taken away mid-burst: {reason}.");
                if (record && r.Recording is { } recording)
                {
                    string eventId = await new VoiceMessagePublisher(session)
                        .PublishAsync(roomId, recording, command.Has("encrypt-attachment"), command.Get("thread"), CancellationToken.None);
                    env.Out.WriteLine($"Voice message {eventId} posted ({recording.DurationMs} ms, {recording.Ogg.Length} bytes).");
                }
                exit = talked.RevokedReason is null ? ExitCodes.Ok : ExitCodes.FloorRevoked;
                break;
            case TalkOutcome.Denied denied:
                env.Error.WriteLine($"walkie: floor denied in {roomId}: {denied.Message.Reason ?? denied.Message.Errcode}" +
                                    (denied.Message.Holder is { } h ? $" (held by {Describe(h)})" : "") + ".");
                if (Hint(denied.Message.Errcode) is { } hint) env.Error.WriteLine(hint);
                exit = ExitCodes.FloorNotGranted;
                break;
            case TalkOutcome.NotGranted notGranted:
                env.Error.WriteLine(notGranted.TimedOut
                    ? $"walkie: no grant within {options.GrantTimeout.TotalSeconds:0.#} s" + (notGranted.QueuePosition is { } p ? $" (still queued at {p}); left the queue." : ".")
                    : "walkie: gave up waiting for the floor; left the queue.");
                exit = ExitCodes.FloorNotGranted;
                break;
            case TalkOutcome.Failed failed:
                env.Error.WriteLine($"walkie: {failed.Errcode}: {failed.Error}");
                if (Hint(failed.Errcode) is { } failHint) env.Error.WriteLine(failHint);
                exit = ExitCodes.Failure;
                break;
            default:
                throw new InvalidOperationException($"Unhandled outcome {outcome}.");
        }
        await stream.CloseAsync(CancellationToken.None);
        return exit;
    }

    private static async Task<int> ListenAsync(ParsedCommand command, string sessionPath, CliEnvironment env, CancellationToken stop)
    {
        using var room = await OpenRoomAsync(command, sessionPath, env, stop);
        var (credentials, session, roomId) = room;
        if (await RoomCommands.RefuseEncryptedAsync(session, roomId, "listen", env, stop))
            return ExitCodes.EncryptedRoom;
        string outDir = command.Get("out") ?? Directory.GetCurrentDirectory();
        Directory.CreateDirectory(outDir);
        await WarnWithoutConsentAsync(session, roomId, credentials, env, stop);

        using var listening = CancellationTokenSource.CreateLinkedTokenSource(stop);
        if (command.GetPositiveLong("seconds") is { } seconds)
            listening.CancelAfter(TimeSpan.FromSeconds(seconds));

        using var listener = new Listener();
        await using var stream = new WalkieStream(credentials, StreamOptions(command, env) with { QueueReceivedFrames = false });
        stream.AddObserver(listener); // frames and floor messages in wire order
        var channels = await stream.SubscribeAsync([roomId], stop);
        if (!channels.ContainsKey(roomId))
        {
            env.Error.WriteLine($"walkie: the server gave no channel for {roomId}: not joined, or walkie-talkie is off there.");
            return ExitCodes.Failure;
        }
        env.Out.WriteLine($"Listening to {roomId} (channel {channels[roomId]}); bursts go to {outDir}.");

        int written = 0;
        string? failure = null;
        var silence = listener.RunSilenceCheckAsync(listening.Token);
        var messages = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in stream.Messages.ReadAllAsync(listening.Token))
                {
                    Report(env.Out, message, roomId);
                    if (message is ServerMessage.Disconnected d)
                    {
                        failure = $"the stream closed: {d.CloseStatus?.ToString() ?? d.Exception?.Message} {d.Description}".TrimEnd();
                        listening.Cancel();
                    }
                }
            }
            catch (OperationCanceledException) { }
        }, CancellationToken.None);
        var bursts = Task.Run(async () =>
        {
            await foreach (var e in listener.Events.ReadAllAsync(CancellationToken.None))
            {
                if (e is ListenerEvent.BurstStarted started)
                {
                    env.Out.WriteLine($"Burst epoch {started.Burst.Epoch} started" + (started.Burst.FirstSeq > 0 ? $" (joined at frame {started.Burst.FirstSeq})" : "") + ".");
                    continue;
                }
                var burst = e.Burst;
                if (burst.SampleCount == 0) continue;
                string path = Path.Combine(outDir, $"{FileSafe(burst.RoomId)}-e{burst.Epoch}-{burst.StartedAt:yyyyMMdd'T'HHmmss}.wav");
                burst.WriteWav(path);
                Interlocked.Increment(ref written);
                env.Out.WriteLine($"Burst epoch {burst.Epoch} ended ({burst.EndReason}): {burst.Duration.TotalSeconds:0.00} s, " +
                                  $"{burst.FramesReceived} frames, {burst.FramesConcealed} concealed → {path}");
            }
        }, CancellationToken.None);

        await silence;
        await messages;
        listener.EndAll("stopped");
        listener.Dispose(); // completes the events, so the burst writer finishes
        await bursts;
        await stream.CloseAsync(CancellationToken.None);
        env.Out.WriteLine($"Wrote {written} burst(s).");
        if (failure is not null)
        {
            env.Error.WriteLine($"walkie: {failure}");
            return ExitCodes.Failure;
        }
        return ExitCodes.Ok;
    }

    private static async Task WarnWithoutConsentAsync(MatrixSession session, string roomId, MatrixCredentials me, CliEnvironment env, CancellationToken ct)
    {
        try
        {
            var member = await session.GetStateAsync(roomId, "org.matrix.msc4002.member", $"_{me.UserId}_{me.DeviceId}", ct);
            long? expires = member?["expires_ts"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out long e) ? e : null;
            if (member is null || member.Count == 0 || expires < DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
                env.Error.WriteLine($"walkie: device {me.DeviceId} has no live consent in {roomId}: you will see floor changes but hear nothing. " +
                                    $"Run `walkie consent --room {roomId}` first.");
        }
        catch (MatrixApiException)
        {
            // Only a hint: the listen itself will say what is wrong.
        }
    }

    private static WalkieStreamOptions StreamOptions(ParsedCommand command, CliEnvironment env) => new()
    {
        AccessTokenInQuery = command.Has("token-in-query"),
        Connector = env.Connector,
    };

    /// <summary>The saved session, signed in, with the --room argument resolved to a room id; disposing it closes the session.</summary>
    private sealed record RoomSession(MatrixCredentials Credentials, MatrixSession Session, string RoomId) : IDisposable
    {
        public void Dispose() => Session.Dispose();
    }

    private static async Task<RoomSession> OpenRoomAsync(ParsedCommand command, string sessionPath, CliEnvironment env, CancellationToken ct)
    {
        var credentials = LoadSession(sessionPath);
        var session = new MatrixSession(credentials, env.Handler);
        try
        {
            return new(credentials, session, await session.ResolveRoomAsync(command.Require("room"), ct));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static MatrixCredentials LoadSession(string path) =>
        SessionStore.Load(path) ?? throw new UsageException($"Not logged in: no session at {path}. Run `walkie login --server URL --user USER --password PASSWORD` first.");

    private static void Report(TextWriter output, ServerMessage message, string roomId)
    {
        string? line = message switch
        {
            ServerMessage.FloorQueued q when q.RoomId == roomId => $"Queued at position {q.Position}; waiting for the floor...",
            ServerMessage.FloorGranted g when g.RoomId == roomId => $"Floor granted: epoch {g.Epoch}, until {FormatTs(g.ExpiresTs)}.",
            ServerMessage.FloorTaken t when t.RoomId == roomId => $"{Describe(t.Holder)} holds the floor (epoch {t.Epoch}).",
            ServerMessage.FloorIdle i when i.RoomId == roomId => $"Floor idle ({i.Reason}).",
            ServerMessage.FloorRevoked r when r.RoomId == roomId => $"Floor revoked ({r.Reason}).",
            ServerMessage.StreamError e => $"Server error on the stream: {e.Errcode}: {e.Error}",
            ServerMessage.Unknown u when u.Problem is not null => $"Unreadable message from the server ({u.Problem}).",
            _ => null,
        };
        if (line is not null) output.WriteLine(line);
    }

    private static string? Hint(string? errcode) => errcode switch
    {
        MatrixErrorCodes.Forbidden => "Hint: this device needs consent in the room (walkie consent --room ROOM) and must be joined.",
        WalkieErrorCodes.NotEnabled => "Hint: walkie-talkie is off in this room (its org.matrix.msc4002.walkie_talkie state is missing or disabled).",
        MatrixErrorCodes.UnknownToken => "Hint: the stored session is no longer valid; run walkie login again.",
        _ => null,
    };

    private static string Describe(DeviceRef? device) => device is null ? "someone" : $"{device.UserId} ({device.DeviceId})";

    private static string FormatTs(long ts) => DateTimeOffset.FromUnixTimeMilliseconds(ts).ToString("yyyy-MM-dd HH:mm:ss 'UTC'");

    private static string FileSafe(string text)
    {
        var safe = new StringBuilder(text.Length);
        foreach (char c in text)
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        return safe.ToString();
    }
}
