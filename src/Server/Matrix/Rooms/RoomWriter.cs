using Wolverine;
using Wolverine.Marten;
using WalkieTalkie.Server.Federation.Crypto;
using WalkieTalkie.Server.Federation.Keys;
using WalkieTalkie.Server.Federation.Rooms;
using WalkieTalkie.Server.Federation.Sending;

namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>An event a client (or the server on a user's behalf) wants to add to a room.</summary>
public sealed record RoomEventDraft(string Sender, string Type, string? StateKey, JsonObject Content)
{
    public string? SenderDevice { get; init; }
    public string? TxnId { get; init; }
    public string? Redacts { get; init; }
}

/// <summary>Idempotency record of a client send (id "user|device|txnId").</summary>
public sealed record SentTransaction(string Id, string EventId);

/// <summary>Where an event lives: its room and its version in the room's stream (id = event id).</summary>
public sealed record EventLocator(string Id, string RoomId, long Version);

/// <summary>Published (through the outbox) when someone's membership changes: consent and floor react to leaves.</summary>
public sealed record MembershipChanged(string RoomId, string UserId, string Membership);

/// <summary>
/// The transaction a room write runs in, for builders that change other streams atomically with the room events
/// (MSC4002 consent and its member-state mirror). Messages published on <see cref="Outbox"/> commit with it.
/// <see cref="AddAsync"/> appends a draft at once and returns the stored event, for builders that need its id.
/// </summary>
public sealed record RoomTransaction(IDocumentSession Session, IMessageBus Outbox, Func<RoomEventDraft, Task<RoomEvent>> AddAsync);

/// <summary>
/// The only way events enter a room: under the sync append lock, load current state, authorize each event against
/// the state as it evolves, append to the room's Marten stream, update state and memberships, commit. Local drafts
/// become signed PDUs (reference-hash ids); remote PDUs arrive checked by <see cref="AppendRemoteAsync"/>'s caller.
/// </summary>
public sealed class RoomWriter(IDocumentStore store, Wolverine.Runtime.IWolverineRuntime wolverine, TimeProvider clock, ServerSigningKeys keys,
    FederationSender federation, IOptions<MatrixOptions> matrix, ILogger<RoomWriter> logger)
{
    /// <summary>Appends the drafts built from current state; returns the stored events (or, for a repeated txn id, the original).</summary>
    public Task<IReadOnlyList<RoomEvent>> AppendAsync(string roomId, Func<RoomState, IEnumerable<RoomEventDraft>> build,
        CancellationToken ct) =>
        AppendAsync(roomId, (state, _) => Task.FromResult(build(state)), ct);

    /// <summary>
    /// As above; <paramref name="build"/> may also load and append through the transaction (under the sync append lock),
    /// and the transaction commits even when it returns no drafts.
    /// </summary>
    public async Task<IReadOnlyList<RoomEvent>> AppendAsync(string roomId,
        Func<RoomState, RoomTransaction, Task<IEnumerable<RoomEventDraft>>> build, CancellationToken ct)
    {
        await using var tx = await BeginAsync(roomId, ct);
        var (session, outbox, state, dag) = (tx.Session, tx.Outbox, tx.State, tx.Dag);
        var key = await keys.CurrentAsync(ct);
        var woken = new HashSet<string>();

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var appended = new List<RoomEvent>();
        async Task<RoomEvent> Add(RoomEventDraft draft)
        {
            // This server signs only its own users' events: another server would reject one sent as its user.
            if (!MatrixIds.IsLocal(draft.Sender, matrix.Value.ServerName))
                throw new InvalidOperationException($"{draft.Sender} is not a user of {matrix.Value.ServerName}: it cannot send {draft.Type} from here");
            if (draft.StateKey is not null) await RoomStates.LoadEntryAsync(session, state, draft.Type, draft.StateKey, ct);
            var e = new RoomEvent("", roomId, draft.Sender, draft.Type, draft.StateKey, draft.Content.ToJsonString(), now)
            {
                SenderDevice = draft.SenderDevice, TxnId = draft.TxnId, Redacts = draft.Redacts,
                PrevContent = draft.StateKey is null ? null : state.Get(draft.Type, draft.StateKey)?.Content,
            };
            if (RoomAuth.Check(state, e, dag.Extremities.Count == 1 && state.EventCount == 1) is { } reason)
                throw new MatrixException(MatrixError.Forbidden(reason));
            if (RoomAuth.CheckLocalPolicy(e) is { } policy) throw new MatrixException(MatrixError.Forbidden(policy));
            var pdu = Seal(state, dag, e, draft.Content, key);
            e = e with { EventId = pdu.EventId };
            if (draft.TxnId is not null && draft.SenderDevice is not null)
                session.Store(new SentTransaction(TxnKey(draft), e.EventId));
            await StoreAsync(session, outbox, state, dag, e, pdu.Pdu, outlier: false);
            SendOn(session, state, e, pdu.Pdu, except: null, woken);
            appended.Add(e);
            return e;
        }

        foreach (var draft in await build(state, new RoomTransaction(session, outbox, Add)))
        {
            if (draft.TxnId is not null && draft.SenderDevice is not null
                && await session.LoadAsync<SentTransaction>(TxnKey(draft), ct) is { } sent)
                return [await LoadEventAsync(session, sent.EventId, ct) ?? throw new InvalidOperationException("lost txn event")];
            await Add(draft);
        }

        Finish(session, roomId, state, dag, appended);
        await session.SaveChangesAsync(ct);
        foreach (var destination in woken) federation.Wake(destination);
        return appended;
    }

    /// <summary>
    /// Appends PDUs from other servers whose signatures, hashes and auth against their own auth events were checked:
    /// each must also pass the auth rules against the current state, else it is rejected (not stored); a state event that
    /// forks the room leaves the state to <see cref="ConcurrentState"/>'s resolution. Returns the stored ones and the
    /// reason of each rejected one.
    /// </summary>
    public async Task<(IReadOnlyList<RoomEvent> Stored, IReadOnlyDictionary<string, string> Rejected)> AppendRemoteAsync(string roomId,
        IReadOnlyList<(string EventId, JsonObject Pdu)> pdus, CancellationToken ct, string? forwardFrom = null)
    {
        await using var tx = await BeginAsync(roomId, ct);
        var (session, outbox, state, dag) = (tx.Session, tx.Outbox, tx.State, tx.Dag);
        var appended = new List<RoomEvent>();
        var rejected = new Dictionary<string, string>();
        var woken = new HashSet<string>();
        foreach (var (eventId, pdu) in pdus)
        {
            if (await session.LoadAsync<StoredPdu>(eventId, ct) is { Outlier: false }) continue;
            if (pdu.String("type") is { } type && pdu.String("state_key") is { } stateKey)
                await RoomStates.LoadEntryAsync(session, state, type, stateKey, ct);
            var e = Remote(state, pdu, eventId);
            var prev = pdu["prev_events"] as JsonArray;
            var onlyCreateBefore = prev?.Count == 1 && prev[0]?.GetValue<string>() == state.Get(EventTypes.Create, "")?.EventId;
            if (RoomAuth.Check(state, e, onlyCreateBefore) is { } reason) { rejected[eventId] = reason; continue; }
            var resolved = await ConcurrentState.ResolveAsync(session, state, dag, eventId, pdu, logger, ct);
            await StoreAsync(session, outbox, state, dag, e, pdu, outlier: false, takesState: resolved is null);
            if (resolved is not null) await TakeResolvedAsync(session, outbox, state, e, resolved, ct);
            if (forwardFrom is not null) SendOn(session, state, e, pdu, except: forwardFrom, woken);
            appended.Add(e);
        }

        Finish(session, roomId, state, dag, appended);
        await session.SaveChangesAsync(ct);
        foreach (var destination in woken) federation.Wake(destination);
        return (appended, rejected);
    }

    /// <summary>
    /// A local event another server must sign first (an invite of its user, server-server spec "Inviting to a room"):
    /// built and checked on the current state, countersigned outside the append lock, then appended like a remote event
    /// (checked again on the state by then) and sent on to the room's servers but <paramref name="signer"/>'s.
    /// </summary>
    public async Task<RoomEvent> AppendCountersignedAsync(string roomId, RoomEventDraft draft, string signer,
        Func<JsonObject, string, string, Task<JsonObject>> countersign, CancellationToken ct)
    {
        JsonObject pdu;
        string eventId, version;
        await using (var read = store.QuerySession())
        {
            var state = await read.LoadAsync<RoomState>(roomId, ct) ?? new RoomState { Id = roomId };
            var dag = await read.LoadAsync<RoomDag>(roomId, ct) ?? new RoomDag { Id = roomId };
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var e = new RoomEvent("", roomId, draft.Sender, draft.Type, draft.StateKey, draft.Content.ToJsonString(), now);
            if (RoomAuth.Check(state, e) is { } reason) throw new MatrixException(MatrixError.Forbidden(reason));
            (pdu, eventId) = Seal(state, dag, e, draft.Content, await keys.CurrentAsync(ct));
            version = dag.RoomVersion;
        }
        var signed = await countersign(pdu, eventId, version);
        if (EventHashes.EventId(signed, version) != eventId)
            throw new MatrixException(new MatrixError("M_UNKNOWN", $"{signer} returned another event") { Status = 502 });
        var (stored, rejected) = await AppendRemoteAsync(roomId, [(eventId, signed)], ct, forwardFrom: signer);
        if (rejected.TryGetValue(eventId, out var why)) throw new MatrixException(MatrixError.Forbidden(why));
        return stored.Count > 0 ? stored[0] : PduFactory.ToRoomEvent(signed, eventId);
    }

    /// <summary>
    /// An invite of a local user to a room of another server: the room shows here as the invite and the stripped state
    /// the inviting server sent (not part of the stream), until a join imports the real state.
    /// </summary>
    public async Task StoreRemoteInviteAsync(string roomId, string roomVersion, string eventId, JsonObject pdu, IEnumerable<JsonObject> strippedState,
        CancellationToken ct)
    {
        await using var tx = await BeginAsync(roomId, ct, newRoomVersion: roomVersion);
        var (session, outbox, state, dag) = (tx.Session, tx.Outbox, tx.State, tx.Dag);
        if (await session.LoadAsync<StoredPdu>(eventId, ct) is not null) return;
        if (!PduStore.JoinedServers(state).Contains(matrix.Value.ServerName))
            foreach (var s in strippedState)
            {
                if (s.String("type") is not { } type || s.String("state_key") is not { } key || s["content"] is not JsonObject content) continue;
                state.Set(type, key, new StateEntry("$stripped", s.String("sender") ?? "", content.ToJsonString(), 0));
            }
        var e = Remote(state, pdu, eventId);
        await StoreAsync(session, outbox, state, dag, e, pdu, outlier: false);
        Finish(session, roomId, state, dag, [e]);
        await session.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Joining a room of another server: its state (checked against each event's auth events by the caller) replaces
    /// whatever this server showed (an invite's stripped state), the auth chain is kept as outliers, and the join event
    /// must pass against that state. From then on the room's extremity is the join.
    /// </summary>
    public async Task<IReadOnlyList<RoomEvent>> ImportJoinAsync(string roomId, string roomVersion, IReadOnlyList<(string EventId, JsonObject Pdu)> authChain,
        IReadOnlyList<(string EventId, JsonObject Pdu)> roomState, (string EventId, JsonObject Pdu) join, CancellationToken ct)
    {
        await using var tx = await BeginAsync(roomId, ct);
        var (session, outbox, state, dag) = (tx.Session, tx.Outbox, tx.State, tx.Dag);
        dag.RoomVersion = roomVersion;
        state.State.Clear();
        var stateIds = roomState.Select(s => s.EventId).ToHashSet();
        foreach (var (id, pdu) in authChain.Where(a => !stateIds.Contains(a.EventId)))
            if (await session.LoadAsync<StoredPdu>(id, ct) is null)
                session.Store(new StoredPdu(id, roomId, pdu.ToJsonString(), pdu["depth"]?.GetValue<long>() ?? 0, Outlier: true));

        var appended = new List<RoomEvent>();
        foreach (var (id, pdu) in roomState.OrderBy(s => s.Pdu["depth"]?.GetValue<long>() ?? 0).ThenBy(s => s.EventId, StringComparer.Ordinal))
        {
            var e = Remote(state, pdu, id);
            await StoreAsync(session, outbox, state, dag, e, pdu, outlier: false);
            appended.Add(e);
        }
        var joinEvent = Remote(state, join.Pdu, join.EventId);
        if (RoomAuth.Check(state, joinEvent, onlyCreateBefore: false) is { } reason)
            throw new MatrixException(MatrixError.Forbidden($"The room's state does not allow the join: {reason}"));
        await StoreAsync(session, outbox, state, dag, joinEvent, join.Pdu, outlier: false);
        appended.Add(joinEvent);
        dag.Extremities = new() { [join.EventId] = join.Pdu["depth"]?.GetValue<long>() ?? dag.NextDepth };

        Finish(session, roomId, state, dag, appended, replaced: true);
        await session.SaveChangesAsync(ct);
        return appended;
    }

    /// <summary>
    /// Queues the PDU (in this transaction, so it is sent once committed, even after a restart) to every other server with a
    /// joined member, and to the server of a member event's target (a kicked or banned user's server learns of it).
    /// </summary>
    void SendOn(IDocumentSession session, RoomState state, RoomEvent e, JsonObject pdu, string? except, HashSet<string> woken)
    {
        var destinations = PduStore.JoinedServers(state).ToHashSet();
        if (e.Type == EventTypes.Member && e.StateKey is not null) destinations.Add(PduVerifier.ServerOf(e.StateKey));
        destinations.Remove(matrix.Value.ServerName);
        if (except is not null) destinations.Remove(except);
        foreach (var destination in destinations)
        {
            federation.EnqueuePdu(session, destination, pdu);
            woken.Add(destination);
        }
    }

    static RoomEvent Remote(RoomState state, JsonObject pdu, string eventId)
    {
        var e = PduFactory.ToRoomEvent(pdu, eventId);
        return e with { PrevContent = e.StateKey is null ? null : state.Get(e.Type, e.StateKey)?.Content };
    }

    /// <summary>The signed PDU of a local event; content that has no canonical JSON form (floats) is M_BAD_JSON.</summary>
    (JsonObject Pdu, string EventId) Seal(RoomState state, RoomDag dag, RoomEvent e, JsonObject content, Ed25519Key key)
    {
        if (e.Type == EventTypes.Create && e.StateKey == "" && content.String("room_version") is { } version) dag.RoomVersion = version;
        try
        {
            var unsigned = PduFactory.Create(matrix.Value.ServerName, state, dag, e.RoomId, e.Sender, e.Type, e.StateKey, content, e.Redacts,
                e.OriginServerTs);
            return PduFactory.Seal(unsigned, dag.RoomVersion, matrix.Value.ServerName, key);
        }
        catch (CanonicalJsonException bad)
        {
            throw new MatrixException(MatrixError.BadJson($"Event content has no canonical JSON form: {bad.Message}"));
        }
    }

    /// <summary>One accepted event: state, graph, its PDU, its stream position and memberships.</summary>
    /// <param name="takesState">False for a state event whose entry <see cref="ConcurrentState"/> decides: in the timeline, not (yet) the state.</param>
    async Task StoreAsync(IDocumentSession session, IMessageBus outbox, RoomState state, RoomDag dag, RoomEvent e, JsonObject pdu, bool outlier, bool takesState = true)
    {
        var depth = pdu["depth"]?.GetValue<long>() ?? dag.NextDepth;
        var kept = e.StateKey is null ? null : state.Get(e.Type, e.StateKey);
        session.Store(new StoredPdu(e.EventId, e.RoomId, pdu.ToJsonString(), depth, outlier) { ReplacesState = kept?.EventId });
        dag.Add(e.EventId, depth, pdu["prev_events"] is JsonArray prev ? prev.Select(p => p!.GetValue<string>()) : []);
        state.Apply(e);
        if (!takesState && kept is not null) state.Set(e.Type, e.StateKey!, kept);
        else if (!takesState) state.Remove(e.Type, e.StateKey!);
        // Room appends are serialized, so the event's stream version is the count of events so far.
        session.Store(new EventLocator(e.EventId, e.RoomId, state.EventCount));
        if (takesState && e.Type == EventTypes.Member && e.StateKey is not null)
            await TakeMembershipAsync(session, outbox, e.RoomId, e.StateKey, e.ContentObject().String("membership"));
    }

    async Task TakeMembershipAsync(IDocumentSession session, IMessageBus outbox, string roomId, string userId, string? membership)
    {
        membership ??= Memberships.Leave;
        session.Store(new RoomMember(RoomMember.Key(roomId, userId), roomId, userId, membership));
        await outbox.PublishAsync(new MembershipChanged(roomId, userId, membership));
    }

    /// <summary>The entries state resolution decided (<paramref name="e"/> just stored, the others stored before).</summary>
    async Task TakeResolvedAsync(IDocumentSession session, IMessageBus outbox, RoomState state, RoomEvent e,
        IReadOnlyDictionary<(string Type, string StateKey), string?> resolved, CancellationToken ct)
    {
        var stored = await PduStore.LoadAsync(session, resolved.Values.OfType<string>().Where(id => id != e.EventId), ct);
        foreach (var ((type, key), id) in resolved)
        {
            if (state.Get(type, key)?.EventId == id) continue;
            var taken = id == e.EventId ? e : id is not null && stored.TryGetValue(id, out var pdu) ? PduFactory.ToRoomEvent(pdu.Object(), id) : null;
            if (id is not null && taken is null) continue;
            if (taken is null) state.Remove(type, key);
            else state.Set(type, key, new StateEntry(taken.EventId, taken.Sender, taken.Content, taken.OriginServerTs));
            if (type == EventTypes.Member) await TakeMembershipAsync(session, outbox, e.RoomId, key, taken?.ContentObject().String("membership"));
        }
    }

    static void Finish(IDocumentSession session, string roomId, RoomState state, RoomDag dag, List<RoomEvent> appended, bool replaced = false)
    {
        if (appended.Count == 0) return;
        session.Events.Append(SyncStreams.Room(roomId), appended.Cast<object>().ToArray());
        RoomStates.Store(session, state, replaced);
        session.Store(dag);
    }

    /// <summary>One room transaction: its session, a fresh outbox enrolled in it, the room's state and graph, under the sync append lock.</summary>
    sealed record Transaction(IDocumentSession Session, IMartenOutbox Outbox, RoomState State, RoomDag Dag) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Session.DisposeAsync();
    }

    async Task<Transaction> BeginAsync(string roomId, CancellationToken ct, string? newRoomVersion = null)
    {
        var session = store.LightweightSession();
        try
        {
            // A fresh outbox per transaction: one that already flushed would drop what is published after (Wolverine says
            // "already flushed its outgoing messages"), and one request may append several times (createRoom, a PDU batch).
            var outbox = new MartenOutbox(wolverine, session);
            await SyncLog.BeginAsync(session, ct);
            var state = await RoomStates.ForWriteAsync(session, roomId, ct);
            var dag = await session.LoadAsync<RoomDag>(roomId, ct) ?? new RoomDag { Id = roomId, RoomVersion = newRoomVersion ?? RoomVersions.Default };
            return new Transaction(session, outbox, state, dag);
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    static string TxnKey(RoomEventDraft draft) => $"{draft.Sender}|{draft.SenderDevice}|{draft.TxnId}";

    public static async Task<RoomEvent?> LoadEventAsync(IQuerySession session, string eventId, CancellationToken ct)
    {
        if (await session.LoadAsync<EventLocator>(eventId, ct) is not { } at) return null;
        var events = await session.Events.FetchStreamAsync(SyncStreams.Room(at.RoomId), version: at.Version, fromVersion: at.Version, token: ct);
        return events.Select(e => e.Data).OfType<RoomEvent>().FirstOrDefault(e => e.EventId == eventId);
    }
}
