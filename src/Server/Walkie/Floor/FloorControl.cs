using Npgsql;
using Wolverine;
using Wolverine.Marten;
using WalkieTalkie.Server.Walkie.Config;
using WalkieTalkie.Server.Walkie.Consent;

namespace WalkieTalkie.Server.Walkie.Floor;

public sealed class FloorOptions
{
    public const string Section = "Walkie:Floor";

    /// <summary>Group commit: one drain loop per room in this process decides every waiting command in one transaction.</summary>
    public bool SerializeInProcess { get; set; } = true;

    /// <summary>Take the room's PostgreSQL advisory lock before loading, so processes queue instead of racing (liveness, not safety).</summary>
    public bool LockRoom { get; set; } = true;

    /// <summary>Most commands one transaction decides; the rest wait for the next round of the drain loop.</summary>
    public int MaxBatch { get; set; } = 256;

    /// <summary>Attempts of a batch that keeps losing the optimistic-concurrency race before its callers are told to retry.</summary>
    public int MaxAttempts { get; set; } = 30;

    /// <summary>Without <see cref="LockRoom"/>: after this many lost races a batch takes the advisory lock too.</summary>
    public int OptimisticAttempts { get; set; } = 3;

    /// <summary>How long a server waits for the floor host's answer to a forwarded command before it says the host is unreachable.</summary>
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The one front door of the floor: <see cref="HandleAsync"/> takes a <see cref="FloorCommand"/> and answers its
/// <see cref="FloorOutcome"/>. Commands for a room wait in this process's queue for the room; one drain loop takes the
/// room's advisory lock (so the processes of the homeserver take turns instead of racing), loads room state, floor
/// snapshot and consents once, decides every waiting command in order with <see cref="FloorDecider"/>, appends all
/// their events expecting the loaded stream version (the safety net: a writer that got past the lock still cannot
/// append a second holder) and commits once with the timers in the outbox, then answers each caller.
/// After commit: precise in-process timers for new grants, and <see cref="FloorChanged"/> to the listeners.
/// </summary>
public sealed class FloorControl(
    IDocumentStore store, IServiceScopeFactory scopes, TimeProvider clock, TimerScheduler timers, IMediaActivity media,
    FloorChangeFeed changes, FloorForwarder forwarder, IOptions<FloorOptions> options, IOptions<MatrixOptions> matrix,
    ILogger<FloorControl> logger, Observability.FloorMetrics metrics)
{
    readonly string _server = matrix.Value.ServerName;
    readonly ConcurrentDictionary<string, RoomLane> _lanes = new();
    // The grant this process last committed in each room: what a timer needs to see that nothing can be due yet.
    readonly ConcurrentDictionary<string, FloorState.Taken> _grants = new();
    readonly FloorOptions _options = options.Value;
    long _lostRaces, _batches, _decided;

    /// <summary>Appends that lost the optimistic-concurrency race and were decided again (for tests and benchmarks).</summary>
    public long LostRaces => Interlocked.Read(ref _lostRaces);

    /// <summary>Transactions run and commands decided in them (commands / batches = the group-commit factor).</summary>
    public (long Batches, long Commands) Batching => (Interlocked.Read(ref _batches), Interlocked.Read(ref _decided));

    sealed class Pending(FloorCommand command)
    {
        public FloorCommand Command { get; } = command;
        public TaskCompletionSource<FloorOutcome> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public FloorOutcome? Outcome;
        public Exception? Error;
        /// <summary>Another server is the room's floor host: the command goes there.</summary>
        public string? ForwardTo;
    }

    sealed class RoomLane
    {
        public readonly Lock Gate = new();
        public readonly List<Pending> Waiting = [];
        public bool Draining;
    }

    public async Task<FloorOutcome> HandleAsync(FloorCommand command, CancellationToken ct = default)
    {
        var pending = new Pending(command);
        if (!_options.SerializeInProcess)
        {
            await DecideBatchAsync(command.RoomId, [pending]);
            return await pending.Answer.Task;
        }

        var lane = _lanes.GetOrAdd(command.RoomId, _ => new RoomLane());
        bool drain;
        lock (lane.Gate)
        {
            lane.Waiting.Add(pending);
            drain = !lane.Draining;
            lane.Draining = true;
        }
        if (drain) _ = Task.Run(() => DrainAsync(command.RoomId, lane), CancellationToken.None);
        // A caller that gives up stops waiting; its command is still decided (like a request the server already read).
        return await pending.Answer.Task.WaitAsync(ct);
    }

    async Task DrainAsync(string roomId, RoomLane lane)
    {
        while (true)
        {
            List<Pending> batch;
            lock (lane.Gate)
            {
                if (lane.Waiting.Count == 0)
                {
                    lane.Draining = false;
                    return;
                }
                var take = Math.Min(lane.Waiting.Count, Math.Max(1, _options.MaxBatch));
                batch = lane.Waiting.GetRange(0, take);
                lane.Waiting.RemoveRange(0, take);
            }
            await DecideBatchAsync(roomId, batch);
        }
    }

    /// <summary>Decides and commits one batch, then answers every caller in it; never throws.</summary>
    async Task DecideBatchAsync(string roomId, IReadOnlyList<Pending> batch)
    {
        using var span = Observability.FloorMetrics.StartDecide(roomId, batch.Count);
        BatchResult? result = null;
        for (var attempt = 1; result is null; attempt++)
        {
            try
            {
                result = await TryDecideBatchAsync(roomId, batch, exclusive: _options.LockRoom || attempt > _options.OptimisticAttempts);
            }
            catch (Exception e) when (IsLostRace(e))
            {
                Interlocked.Increment(ref _lostRaces);
                if (attempt >= _options.MaxAttempts)
                {
                    logger.LogWarning("Floor batch in {Room} lost {Attempts} races in a row; asking {Count} callers to retry", roomId, attempt, batch.Count);
                    FailAll(batch, new MatrixException(MatrixError.LimitExceeded(50)));
                    return;
                }
                // Jittered exponential pause: the winner's transaction is already committed, ours just needs fresh state.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 1 << Math.Min(attempt, 6))));
            }
            catch (Exception e)
            {
                // Nothing of the batch was committed (one transaction): each caller gets an error, none a hang.
                logger.LogError(e, "Floor batch of {Count} commands in {Room} could not be committed", batch.Count, roomId);
                FailAll(batch, new MatrixException(new MatrixError("M_UNKNOWN", "The floor decision could not be stored; try again")
                    { Status = StatusCodes.Status503ServiceUnavailable }));
                return;
            }
        }

        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _decided, batch.Count);
        if (result.Events.Count > 0) AfterCommit(roomId, result);
        metrics.Decided(span, result.After, result.Events, batch.Select(p => p.Outcome));
        foreach (var p in batch)
        {
            if (p.ForwardTo is { } host) _ = ForwardAsync(p, host);
            else if (p.Error is not null) p.Answer.TrySetException(p.Error);
            else p.Answer.TrySetResult(p.Outcome!);
        }
        foreach (var rearm in result.Rearms) await RearmAsync(rearm);
    }

    /// <summary>Off the room's lane: the host's answer takes a round trip, the lane need not wait for it.</summary>
    async Task ForwardAsync(Pending p, string host)
    {
        try
        {
            var outcome = await forwarder.ForwardAsync(host, p.Command, CancellationToken.None);
            if (outcome is FloorOutcome.Granted granted && p.Command is FloorCommand.Request request)
                forwarder.OnHostGranted(request.RoomId, request.Device, granted);
            p.Answer.TrySetResult(outcome);
        }
        catch (Exception e) { p.Answer.TrySetException(e); }
    }

    static void FailAll(IEnumerable<Pending> batch, Exception error)
    {
        foreach (var p in batch) p.Answer.TrySetException(error);
    }

    sealed record BatchResult(FloorState After, List<FloorEvent> Events, long Version, List<(FloorTimerDue Due, bool Durable, DateTimeOffset At)> Rearms);

    async Task<BatchResult> TryDecideBatchAsync(string roomId, IReadOnlyList<Pending> batch, bool exclusive)
    {
        await using var scope = scopes.CreateAsyncScope(); // a fresh outbox per attempt: a lost attempt's messages die with it
        var outbox = scope.ServiceProvider.GetRequiredService<IMartenOutbox>();
        await using var session = store.LightweightSession();
        session.Logger = new LostRacesAreNotFailures(session.Logger);
        outbox.Enroll(session);

        var streamId = FloorStream.Id(roomId);
        if (exclusive)
        {
            await session.BeginTransactionAsync(CancellationToken.None);
            await using var lockRoom = session.Connection!.CreateCommand();
            // Two-key form: a key space apart from single-bigint advisory locks such as the sync append lock.
            lockRoom.CommandText = "select pg_advisory_xact_lock(4002, hashtext(@stream))";
            lockRoom.Parameters.Add(new NpgsqlParameter("stream", streamId));
            await lockRoom.ExecuteNonQueryAsync();
        }
        var load = session.CreateBatchQuery();
        var roomTask = load.Load<RoomState>(roomId);
        var floorTask = load.Load<FloorSnapshot>(streamId);
        // Every live consent of the room: requesters and the whole queue (hand-over) in the same round trip.
        var consentTask = load.Query<ConsentSnapshot>().Where(c => c.RoomId == roomId && c.Active).ToList();
        // Devices of other servers consent through their mirror in room state (RoomStateEntry documents, FloorHost).
        var localKeys = $":{_server}_";
        var mirrorsTask = load.Query<RoomStateEntry>()
            .Where(e => e.RoomId == roomId && e.Type == RoomStates.ConsentMirrorType && !e.StateKey.Contains(localKeys)).ToList();
        await load.Execute();

        var room = await roomTask ?? new RoomState { Id = roomId };
        foreach (var mirror in await mirrorsTask) room.Add(mirror);
        var snapshot = await floorTask;
        var before = FloorSnapshot.FloorOf(snapshot);
        var scene = new FloorScene(room, WalkieConfig.Of(room), clock.GetUtcNow(), (await consentTask).ToDictionary(c => c.Id), _server);
        var host = FloorHost.Of(room, scene.Config);
        if (!FloorHost.IsLocal(host, _server))
        {
            Delegate(batch, room, host);
            return new(before, [], snapshot?.Version ?? 0, []);
        }

        // This server became the floor host: the previous host's holder and queue end, the epoch carries on.
        var events = snapshot?.Host is { } previous && !FloorHost.IsLocal(previous, _server)
            ? FloorHost.TakeOver(roomId, before, scene.Now).ToList()
            : [];
        var after = events.Aggregate(before, FloorDecider.Evolve);
        var rearms = new List<(FloorTimerDue, bool, DateTimeOffset)>();
        foreach (var p in batch)
        {
            (p.Outcome, p.Error) = (null, null);
            try
            {
                var decided = new List<FloorEvent>();
                var state = after;
                foreach (var command in FloorPlan.For(p.Command, scene, after, media.LastFrameAt))
                {
                    var step = FloorDecider.Decide(command, state, scene.Now);
                    state = step.Aggregate(state, FloorDecider.Evolve);
                    decided.AddRange(step);
                }
                p.Outcome = FloorPlan.OutcomeOf(p.Command, after, decided);
                if (p.Command is FloorCommand.TimersDue due && decided.Count == 0 && state is FloorState.Taken t && t.Epoch == due.Epoch)
                    rearms.Add((new FloorTimerDue(roomId, due.Epoch), due.Durable, FloorDecider.TimersNextDue(t, media.LastFrameAt(roomId, due.Epoch))));
                after = state;
                events.AddRange(decided);
            }
            catch (FloorRefused e) { p.Error = new MatrixException(WalkieErrors.Refused(e)); }
            catch (MatrixException e) { p.Error = e; }
        }

        var version = snapshot?.Version ?? 0;
        if (events.Count == 0) return new(after, events, version, rearms);

        // The expected version is what makes this safe: whoever appended since we loaded makes this commit fail.
        if (snapshot is null) session.Events.StartStream(streamId, events.Cast<object>().ToArray());
        else session.Events.Append(streamId, version + events.Count, events.Cast<object>().ToArray());
        var stored = FloorSnapshot.From(roomId, after, version + events.Count);
        stored.HostVersion = stored.Version;
        session.Store(stored);
        foreach (var grant in events.OfType<FloorGranted>())
            await outbox.ScheduleAsync(new FloorTimerDue(roomId, grant.Epoch), FirstDue(grant));
        await session.SaveChangesAsync(CancellationToken.None);
        return new(after, events, version + events.Count, rearms);
    }

    /// <summary>
    /// Not the floor host: client commands (checked here first, so a stranger learns nothing from the host) go to the host;
    /// timers and leaves are the host's own business; a command forwarded to us is refused (no forwarding chains).
    /// </summary>
    static void Delegate(IReadOnlyList<Pending> batch, RoomState room, string host)
    {
        foreach (var p in batch)
        {
            (p.Outcome, p.Error, p.ForwardTo) = (null, null, null);
            try
            {
                if (p.Command.ForwardedBy is not null) throw new MatrixException(WalkieErrors.NotFloorHost(host));
                if (p.Command.Client is { } client) WalkieAccess.RequireEnabledMember(room, client.UserId);
                if (FloorWire.Command(p.Command) is null) p.Outcome = new FloorOutcome.None();
                else p.ForwardTo = host;
            }
            catch (MatrixException e) { p.Error = e; }
        }
    }

    void AfterCommit(string roomId, BatchResult result)
    {
        if (result.After is FloorState.Taken taken) _grants[roomId] = taken;
        else _grants.TryRemove(roomId, out _);
        foreach (var e in result.Events)
        {
            switch (e)
            {
                case FloorGranted g:
                    ScheduleInProcess(new FloorTimerDue(roomId, g.Epoch), FirstDue(g));
                    break;
                case FloorReleased r:
                    timers.Cancel(TimerKey(new FloorTimerDue(roomId, r.Epoch)));
                    break;
                case FloorRevoked v:
                    timers.Cancel(TimerKey(new FloorTimerDue(roomId, v.Epoch)));
                    break;
            }
        }
        changes.Publish(new FloorChanged(roomId, FloorView.From(result.After), result.Events, result.Version) { State = result.After });
    }

    static DateTimeOffset FirstDue(FloorGranted g) => g.At + g.EndOfMedia < g.ExpiresAt ? g.At + g.EndOfMedia : g.ExpiresAt;

    async Task RearmAsync((FloorTimerDue Due, bool Durable, DateTimeOffset At) rearm)
    {
        if (!rearm.Durable)
        {
            ScheduleInProcess(rearm.Due, rearm.At);
            return;
        }
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
            var soonest = clock.GetUtcNow() + TimeSpan.FromMilliseconds(100);
            await bus.ScheduleAsync(rearm.Due, rearm.At > soonest ? rearm.At : soonest);
        }
        catch (Exception e) { logger.LogWarning(e, "Could not re-arm the durable floor timer {Due}; the in-process timer still runs", rearm.Due); }
    }

    /// <summary>
    /// A grant's timer fired (<paramref name="durable"/>: the Wolverine backstop, else the in-process one). While the
    /// holder's audio keeps arriving here and max talk is not reached, nothing can be due: the timer is re-armed from
    /// the grant this process committed, without a transaction (the decider's own test, <see cref="FloorDecider.TimersQuietUntil"/>).
    /// Anything else (silence, max talk, a grant this process does not know) is decided as a command.
    /// </summary>
    public async Task TimersDueAsync(FloorTimerDue due, bool durable, CancellationToken ct)
    {
        if (_grants.TryGetValue(due.RoomId, out var grant) && grant.Epoch == due.Epoch
            && FloorDecider.TimersQuietUntil(grant, media.LastFrameAt(due.RoomId, due.Epoch), clock.GetUtcNow()) is { } next)
        {
            await RearmAsync((due, durable, next));
            return;
        }
        await HandleAsync(new FloorCommand.TimersDue(due.RoomId, due.Epoch, durable), ct);
    }

    void ScheduleInProcess(FloorTimerDue due, DateTimeOffset at) =>
        timers.Schedule(TimerKey(due), at, ct => TimersDueAsync(due, durable: false, ct));

    static string TimerKey(FloorTimerDue due) => $"floor|{due.RoomId}|{due.Epoch}";

    /// <summary>Another decision on the same floor committed between our load and our commit.</summary>
    public static bool IsLostRace(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is JasperFx.ConcurrencyException or Marten.Exceptions.ExistingStreamIdCollisionException
                or JasperFx.Events.ExistingStreamIdCollisionException or Marten.Exceptions.ConcurrentUpdateException)
                return true;
            // unique_violation on mt_events/mt_streams when a translation is missing; serialization_failure
            if (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.SerializationFailure or "MT003" })
                return true;
        }
        return false;
    }
}

/// <summary>Marten logs every failed command as an error; a lost race is expected and decided again, so it is not one.</summary>
sealed class LostRacesAreNotFailures(IMartenSessionLogger inner) : IMartenSessionLogger
{
    public void LogSuccess(NpgsqlCommand command) => inner.LogSuccess(command);
    public void LogSuccess(NpgsqlBatch batch) => inner.LogSuccess(batch);
    public void LogFailure(NpgsqlCommand command, Exception ex) { if (!Expected(ex)) inner.LogFailure(command, ex); }
    public void LogFailure(NpgsqlBatch batch, Exception ex) { if (!Expected(ex)) inner.LogFailure(batch, ex); }
    public void LogFailure(Exception ex, string message) { if (!Expected(ex)) inner.LogFailure(ex, message); }
    public void RecordSavedChanges(IDocumentSession session, Marten.Services.IChangeSet commit) => inner.RecordSavedChanges(session, commit);
    public void OnBeforeExecute(NpgsqlCommand command) => inner.OnBeforeExecute(command);
    public void OnBeforeExecute(NpgsqlBatch batch) => inner.OnBeforeExecute(batch);

    // After the losing statement, the rest of the batch fails with "transaction aborted": part of the same race.
    static bool Expected(Exception ex) =>
        FloorControl.IsLostRace(ex) || ex is PostgresException { SqlState: PostgresErrorCodes.InFailedSqlTransaction };
}
