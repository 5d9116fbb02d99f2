using Marten;
using Npgsql;
using Wolverine;
using Wolverine.Marten;
using WalkieTalkie.Server.Infrastructure;
using WalkieTalkie.Server.Matrix.Rooms;
using WalkieTalkie.Server.Walkie.Config;
using WalkieTalkie.Server.Walkie.Consent;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// The timers of one grant (room, epoch): max talk and end of media, checked together and re-armed for whichever is due
/// next. Scheduled both as a durable Wolverine message (restart-proof) and in process (precise); a stale epoch does nothing.
/// </summary>
public sealed record FloorTimerDue(string RoomId, long Epoch);

/// <summary>A device lost its consent or left: if it is still ineligible when this is handled, it loses the floor or its place in the queue.</summary>
public sealed record FloorEligibilityLost(string RoomId, DeviceRef Device, RevokeReason Reason);

/// <summary>What a decision saw and did; <see cref="Version"/> is the floor stream's version after it.</summary>
public sealed record FloorDecision(Floor Before, Floor After, IReadOnlyList<FloorEvent> Events, long Version)
{
    public FloorOutcome OutcomeFor(DeviceRef device) => FloorOutcome.For(device, Before, Events);
}

/// <summary>Everything a floor decision may look at, loaded fresh for every attempt.</summary>
public sealed record FloorScene(RoomState Room, WalkieConfig? Config, Floor Floor, DateTimeOffset Now,
    IReadOnlyDictionary<string, ConsentSnapshot> Consents)
{
    /// <summary>A room whose walkie-talkie was switched off mid-grant still runs its timers, on the defaults.</summary>
    public FloorSettings Settings => (Config ?? WalkieConfig.Default).FloorSettings;

    public bool HasLiveConsent(DeviceRef device) =>
        ConsentSnapshot.IsLive(Consents.GetValueOrDefault(ConsentStream.Id(Room.Id, device)), Now);

    /// <summary>Joined and consenting now: may hold the floor, may be handed it from the queue.</summary>
    public bool Eligible(DeviceRef device) => Room.IsJoined(device.UserId) && HasLiveConsent(device);

    public int PowerLevel(string userId) => (int)Math.Clamp(Room.PowerLevels.Of(userId), int.MinValue, int.MaxValue);
}

public sealed class FloorOptions
{
    public const string Section = "Walkie:Floor";

    /// <summary>Decisions on one room wait for each other inside a process; across processes the stream version decides.</summary>
    public bool SerializeInProcess { get; set; } = true;

    /// <summary>Attempts of a decision that keeps losing the optimistic-concurrency race before the client is told to retry.</summary>
    public int MaxAttempts { get; set; } = 30;

    /// <summary>After this many lost races a decision also queues on a PostgreSQL advisory lock of the room (liveness, not safety).</summary>
    public int OptimisticAttempts { get; set; } = 3;
}

/// <summary>
/// The one way the floor changes: load (room state, floor snapshot, consents), decide with <see cref="FloorDecider"/>
/// and the clock, append to <see cref="FloorStream"/> expecting the version that was loaded, commit with the timers in
/// the outbox. A lost race (another decision on the same room committed first, possibly in another process) is decided
/// again on fresh state, so there is never a second holder and a client never sees the race.
/// After commit: precise in-process timers for new grants, and <see cref="FloorChanged"/> to the listeners.
/// </summary>
public sealed class FloorControl(
    IDocumentStore store, IServiceScopeFactory scopes, TimeProvider clock, TimerScheduler timers, IMediaActivity media,
    FloorChangeFeed changes, Microsoft.Extensions.Options.IOptions<FloorOptions> options, ILogger<FloorControl> logger)
{
    readonly SemaphoreSlim[] _stripes = Enumerable.Range(0, 256).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
    readonly FloorOptions _options = options.Value;
    long _lostRaces;

    /// <summary>Appends that lost the optimistic-concurrency race and were decided again (for tests and benchmarks).</summary>
    public long LostRaces => Interlocked.Read(ref _lostRaces);

    /// <param name="devices">Devices whose consent the plan asks about (requester, subject); queued devices are loaded when <paramref name="handsOver"/>.</param>
    /// <param name="handsOver">The plan may release or revoke the holder, so hand-over needs the queue's eligibility.</param>
    /// <param name="plan">The commands to decide, in order, against the scene; may throw <see cref="MatrixException"/> to refuse.</param>
    public async Task<FloorDecision> DecideAsync(string roomId, IReadOnlyCollection<DeviceRef> devices, bool handsOver,
        Func<FloorScene, IEnumerable<FloorCommand>> plan, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var stripe = _options.SerializeInProcess ? _stripes[(uint)StringComparer.Ordinal.GetHashCode(roomId) % (uint)_stripes.Length] : null;
            if (stripe is not null) await stripe.WaitAsync(ct);
            FloorDecision decision;
            try
            {
                decision = await TryDecideAsync(roomId, devices, handsOver, plan, exclusive: attempt > _options.OptimisticAttempts, ct);
            }
            catch (Exception e) when (IsLostRace(e))
            {
                Interlocked.Increment(ref _lostRaces);
                if (attempt >= _options.MaxAttempts)
                {
                    logger.LogWarning("Floor decision in {Room} lost {Attempts} races in a row; asking the client to retry", roomId, attempt);
                    throw new MatrixException(MatrixError.LimitExceeded(50));
                }
                stripe?.Release();
                stripe = null;
                // Jittered exponential pause: the winner's transaction is already committed, ours just needs fresh state.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 1 << Math.Min(attempt, 6))), ct);
                continue;
            }
            finally
            {
                stripe?.Release();
            }

            if (decision.Events.Count > 0) AfterCommit(roomId, decision);
            return decision;
        }
    }

    async Task<FloorDecision> TryDecideAsync(string roomId, IReadOnlyCollection<DeviceRef> devices, bool handsOver,
        Func<FloorScene, IEnumerable<FloorCommand>> plan, bool exclusive, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope(); // a fresh outbox per attempt: a lost attempt's messages die with it
        var outbox = scope.ServiceProvider.GetRequiredService<IMartenOutbox>();
        await using var session = store.LightweightSession();
        session.Logger = new LostRacesAreNotFailures(session.Logger);
        outbox.Enroll(session);

        var streamId = FloorStream.Id(roomId);
        if (exclusive)
        {
            // Contended: wait in line with the other losers instead of racing them again. The expected version below
            // still decides; deciders on their first, optimistic attempts do not take this lock.
            await session.BeginTransactionAsync(ct);
            await using var lockRoom = session.Connection!.CreateCommand();
            // Two-key form: a key space apart from single-bigint advisory locks such as the sync append lock.
            lockRoom.CommandText = "select pg_advisory_xact_lock(4002, hashtext(@stream))";
            lockRoom.Parameters.Add(new NpgsqlParameter("stream", streamId));
            await lockRoom.ExecuteNonQueryAsync(ct);
        }
        var batch = session.CreateBatchQuery();
        var roomTask = batch.Load<RoomState>(roomId);
        var floorTask = batch.Load<FloorSnapshot>(streamId);
        var consentIds = devices.Select(d => ConsentStream.Id(roomId, d)).Distinct().ToArray();
        var consentTask = consentIds.Length > 0 ? batch.LoadMany<ConsentSnapshot>().ById(consentIds) : null;
        await batch.Execute(ct);

        var room = await roomTask ?? new RoomState { Id = roomId };
        var snapshot = await floorTask;
        var before = FloorSnapshot.FloorOf(snapshot);
        var consents = (consentTask is null ? [] : await consentTask).ToDictionary(c => c.Id);
        if (handsOver && before is Floor.Taken { Queue.Count: > 0 } taken)
        {
            var missing = taken.Queue.Select(d => ConsentStream.Id(roomId, d)).Where(id => !consents.ContainsKey(id)).ToArray();
            if (missing.Length > 0)
                foreach (var c in await session.LoadManyAsync<ConsentSnapshot>(ct, missing)) consents[c.Id] = c;
        }

        var now = clock.GetUtcNow();
        var scene = new FloorScene(room, WalkieConfig.Of(room), before, now, consents);
        var events = new List<FloorEvent>();
        var after = before;
        foreach (var command in plan(scene))
        {
            var decided = FloorDecider.Decide(command, after, now);
            after = decided.Aggregate(after, FloorDecider.Evolve);
            events.AddRange(decided);
        }
        var version = snapshot?.Version ?? 0;
        if (events.Count == 0) return new(before, before, events, version);

        // The expected version is what makes this safe: whoever appended since we loaded makes this commit fail.
        if (snapshot is null) session.Events.StartStream(streamId, events.Cast<object>().ToArray());
        else session.Events.Append(streamId, version + events.Count, events.Cast<object>().ToArray());
        session.Store(FloorSnapshot.From(roomId, after, version + events.Count));
        foreach (var grant in events.OfType<FloorGranted>())
            await outbox.ScheduleAsync(new FloorTimerDue(roomId, grant.Epoch), FirstDue(grant));
        await session.SaveChangesAsync(ct);
        return new(before, after, events, version + events.Count);
    }

    void AfterCommit(string roomId, FloorDecision decision)
    {
        foreach (var e in decision.Events)
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
        changes.Publish(new FloorChanged(roomId, FloorView.From(decision.After), decision.Events, decision.Version));
    }

    static DateTimeOffset FirstDue(FloorGranted g) => g.At + g.EndOfMedia < g.ExpiresAt ? g.At + g.EndOfMedia : g.ExpiresAt;

    /// <summary>
    /// A grant's timers are due: revoke the holder if that grant is still on and its max talk or end of media has really
    /// come; otherwise re-arm for whichever comes next (frames may have moved end of media on).
    /// </summary>
    public async Task CheckTimerAsync(FloorTimerDue due, bool durable, CancellationToken ct)
    {
        DateTimeOffset? lastFrame = null;
        var decision = await DecideAsync(due.RoomId, [], handsOver: true, scene =>
        {
            if (scene.Floor is not Floor.Taken t || t.Epoch != due.Epoch) return [];
            lastFrame = media.LastFrameAt(due.RoomId, due.Epoch);
            // If max talk revokes, the end-of-media check meets a later epoch and does nothing.
            return
            [
                new CheckMaxTalk(due.RoomId, due.Epoch, scene.Settings, scene.Eligible),
                new CheckEndOfMedia(due.RoomId, due.Epoch, lastFrame, scene.Settings, scene.Eligible),
            ];
        }, ct);
        if (decision.Events.Count > 0 || decision.After is not Floor.Taken taken || taken.Epoch != due.Epoch) return;

        var endOfMedia = (lastFrame is { } last && last > taken.GrantedAt ? last : taken.GrantedAt) + taken.EndOfMedia;
        var next = endOfMedia < taken.ExpiresAt ? endOfMedia : taken.ExpiresAt;
        if (durable)
        {
            await using var scope = scopes.CreateAsyncScope();
            var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
            var soonest = clock.GetUtcNow() + TimeSpan.FromMilliseconds(100);
            await bus.ScheduleAsync(due, next > soonest ? next : soonest);
        }
        else
        {
            ScheduleInProcess(due, next);
        }
    }

    /// <summary>Takes a device that is no longer eligible off the floor (holder: revoked and handed over; queued: leaves the queue).</summary>
    public Task<FloorDecision> RevokeIfIneligibleAsync(string roomId, DeviceRef device, RevokeReason reason, CancellationToken ct) =>
        DecideAsync(roomId, [device], handsOver: true, scene =>
            scene.Eligible(device) ? [] : [new RevokeFloor(roomId, device, reason, scene.Settings, scene.Eligible)], ct);

    void ScheduleInProcess(FloorTimerDue due, DateTimeOffset at) =>
        timers.Schedule(TimerKey(due), at, ct => CheckTimerAsync(due, durable: false, ct));

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
