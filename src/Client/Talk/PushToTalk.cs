using WalkieTalkie.Client.Live;
using WalkieTalkie.Client.Walkie;

namespace WalkieTalkie.Client.Talk;

public sealed record TalkOptions
{
    public FloorPriority Priority { get; init; } = FloorPriority.Normal;

    /// <summary>How long to wait for the grant, in the queue included.</summary>
    public TimeSpan GrantTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Sees every control message that arrives while <see cref="PushToTalk.TalkAsync"/> reads the stream (queue position, holders, ...).</summary>
    public Action<ServerMessage>? OnMessage { get; init; }
}

/// <summary>How a push-to-talk attempt ended.</summary>
public abstract record TalkOutcome
{
    /// <summary>The burst went out. <see cref="RevokedReason"/> is set when the server took the floor away mid-burst.</summary>
    public sealed record Talked(TalkResult Result, string? RevokedReason) : TalkOutcome;

    /// <summary><c>floor.denied</c>: taken in a room without a queue, no consent, not a member, walkie-talkie off.</summary>
    public sealed record Denied(ServerMessage.FloorDenied Message) : TalkOutcome;

    /// <summary>No grant in time, or the user gave up while queued (the queue place was released).</summary>
    public sealed record NotGranted(int? QueuePosition, bool TimedOut) : TalkOutcome;

    /// <summary>The stream answered <c>error</c>, refused the room, or closed.</summary>
    public sealed record Failed(string Errcode, string Error) : TalkOutcome;
}

/// <summary>
/// One press of the button over a <see cref="WalkieStream"/>: subscribe, <c>floor.request</c>, wait for
/// <c>floor.granted</c> (also after a queue hand-over), send the burst with a <see cref="Talker"/> while watching for
/// <c>floor.revoked</c> and the max-talk deadline, then <c>floor.release</c>. It reads <see cref="WalkieStream.Messages"/>
/// for its duration, so nobody else may read them meanwhile (see <see cref="TalkOptions.OnMessage"/>).
/// </summary>
public sealed class PushToTalk(WalkieStream stream, TalkerOptions? talkerOptions = null, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <param name="stop">The user let go: ends the burst (or leaves the queue) and releases.</param>
    public async Task<TalkOutcome> TalkAsync(string roomId, PcmSource source, TalkOptions? options = null,
        CancellationToken stop = default, CancellationToken cancellationToken = default)
    {
        options ??= new TalkOptions();
        var channels = await stream.SubscribeAsync([roomId], cancellationToken);
        if (!channels.ContainsKey(roomId))
            return new TalkOutcome.Failed("M_FORBIDDEN", $"The server gave no channel for {roomId}: not joined, or walkie-talkie is off there.");

        await stream.RequestFloorAsync(roomId, options.Priority, cancellationToken);
        var (granted, refusal) = await AwaitGrantAsync(roomId, options, stop, cancellationToken);
        if (granted is null)
            return refusal!;

        using var talking = CancellationTokenSource.CreateLinkedTokenSource(stop);
        // The server revokes at expires_ts anyway; stopping there ourselves saves sending frames it will drop.
        var untilExpiry = DateTimeOffset.FromUnixTimeMilliseconds(granted.ExpiresTs) - _time.GetUtcNow();
        using var deadline = new CancellationTokenSource(untilExpiry > TimeSpan.Zero ? untilExpiry : TimeSpan.Zero, _time);
        using var stopTalking = CancellationTokenSource.CreateLinkedTokenSource(talking.Token, deadline.Token);
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = WatchWhileTalkingAsync(roomId, granted.Epoch, options, talking, stopWatching.Token);

        TalkResult result;
        try
        {
            result = await new Talker(stream, talkerOptions, _time).TalkAsync(roomId, granted.Epoch, source, stopTalking.Token, cancellationToken);
        }
        catch (WalkieStreamException e)
        {
            stopWatching.Cancel();
            await watch;
            return new TalkOutcome.Failed("M_UNKNOWN", e.Message);
        }
        finally
        {
            stopWatching.Cancel();
        }
        string? revoked = await watch;
        if (revoked is null && stream.IsOpen)
            await stream.ReleaseFloorAsync(roomId, granted.Epoch, cancellationToken);
        return new TalkOutcome.Talked(result, revoked);
    }

    private async Task<(ServerMessage.FloorGranted?, TalkOutcome?)> AwaitGrantAsync(string roomId, TalkOptions options,
        CancellationToken stop, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop, cancellationToken);
        wait.CancelAfter(options.GrantTimeout);
        int? position = null;
        try
        {
            while (true)
            {
                var message = await stream.Messages.ReadAsync(wait.Token);
                options.OnMessage?.Invoke(message);
                switch (message)
                {
                    case ServerMessage.FloorGranted g when g.RoomId == roomId:
                        return (g, null);
                    case ServerMessage.FloorQueued q when q.RoomId == roomId:
                        position = q.Position;
                        break;
                    case ServerMessage.FloorDenied d when d.RoomId == roomId:
                        return (null, new TalkOutcome.Denied(d));
                    case ServerMessage.StreamError e when e.RoomId is null || e.RoomId == roomId:
                        return (null, new TalkOutcome.Failed(e.Errcode, e.Error));
                    case ServerMessage.Disconnected d:
                        return (null, new TalkOutcome.Failed("M_UNKNOWN", $"The stream closed while waiting for the floor ({d.CloseStatus?.ToString() ?? d.Exception?.Message}: {d.Description})."));
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Gave up (stop or timeout): leave the queue; a release by a queued device does exactly that.
            if (stream.IsOpen)
                await stream.ReleaseFloorAsync(roomId, 0, cancellationToken);
            return (null, new TalkOutcome.NotGranted(position, TimedOut: !stop.IsCancellationRequested));
        }
    }

    /// <summary>Reads control messages while the burst goes out; returns the revocation reason if the floor was lost.</summary>
    private async Task<string?> WatchWhileTalkingAsync(string roomId, long epoch, TalkOptions options, CancellationTokenSource talking, CancellationToken until)
    {
        try
        {
            while (true)
            {
                var message = await stream.Messages.ReadAsync(until);
                options.OnMessage?.Invoke(message);
                string? lost = message switch
                {
                    ServerMessage.FloorRevoked r when r.RoomId == roomId && (r.Epoch is null || r.Epoch == epoch) => r.Reason,
                    ServerMessage.FloorTaken t when t.RoomId == roomId && t.Epoch > epoch => "taken",
                    ServerMessage.FloorIdle i when i.RoomId == roomId && (i.Epoch is null || i.Epoch >= epoch) => i.Reason,
                    ServerMessage.Disconnected => "disconnected",
                    _ => null,
                };
                if (lost is not null)
                {
                    talking.Cancel();
                    return lost;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
