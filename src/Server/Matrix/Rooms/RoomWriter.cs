using Wolverine;
using Wolverine.Marten;
using WalkieTalkie.Server.Infrastructure.Sync;

namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>An event a client (or the server on a user's behalf) wants to add to a room.</summary>
public sealed record RoomEventDraft(string Sender, string Type, string? StateKey, JsonObject Content)
{
    public string? SenderDevice { get; init; }
    public string? TxnId { get; init; }
    public string? Redacts { get; init; }
    /// <summary>A fresh id chosen by the caller, so a later draft of the same append can refer to this event.</summary>
    public string? EventId { get; init; }
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
/// </summary>
public sealed record RoomTransaction(IDocumentSession Session, IMessageBus Outbox);

/// <summary>
/// The only way events enter a room: under the sync append lock, load current state, authorize each draft against
/// the state as it evolves, append to the room's Marten stream, update state and memberships, commit.
/// </summary>
public sealed class RoomWriter(IDocumentStore store, IMartenOutbox outbox, TimeProvider clock)
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
        await using var session = store.LightweightSession();
        outbox.Enroll(session);
        await SyncLog.BeginAsync(session, ct);
        var state = await session.LoadAsync<RoomState>(roomId, ct) ?? new RoomState { Id = roomId };

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var appended = new List<RoomEvent>();
        foreach (var draft in await build(state, new RoomTransaction(session, outbox)))
        {
            if (draft.TxnId is not null && draft.SenderDevice is not null)
            {
                var txnKey = $"{draft.Sender}|{draft.SenderDevice}|{draft.TxnId}";
                if (await session.LoadAsync<SentTransaction>(txnKey, ct) is { } sent)
                    return [await LoadEventAsync(session, sent.EventId, ct) ?? throw new InvalidOperationException("lost txn event")];
            }

            var e = new RoomEvent(draft.EventId ?? MatrixIds.NewEventId(), roomId, draft.Sender, draft.Type, draft.StateKey,
                draft.Content.ToJsonString(), now)
            {
                SenderDevice = draft.SenderDevice, TxnId = draft.TxnId, Redacts = draft.Redacts,
                PrevContent = draft.StateKey is null ? null : state.Get(draft.Type, draft.StateKey)?.Content,
            };
            if (RoomAuth.Check(state, e) is { } reason) throw new MatrixException(MatrixError.Forbidden(reason));

            if (draft.TxnId is not null && draft.SenderDevice is not null)
                session.Store(new SentTransaction($"{draft.Sender}|{draft.SenderDevice}|{draft.TxnId}", e.EventId));
            state.Apply(e);
            // Room appends are serialized, so the event's stream version is the count of events so far.
            session.Store(new EventLocator(e.EventId, roomId, state.EventCount));
            appended.Add(e);
            if (e.Type == EventTypes.Member && e.StateKey is not null)
            {
                var membership = e.ContentObject()["membership"]?.GetValue<string>() ?? Memberships.Leave;
                session.Store(new RoomMember(RoomMember.Key(roomId, e.StateKey), roomId, e.StateKey, membership));
                await outbox.PublishAsync(new MembershipChanged(roomId, e.StateKey, membership));
            }
        }

        if (appended.Count > 0)
        {
            session.Events.Append(SyncStreams.Room(roomId), appended.Cast<object>().ToArray());
            session.Store(state);
        }
        await session.SaveChangesAsync(ct);
        return appended;
    }

    public static async Task<RoomEvent?> LoadEventAsync(IQuerySession session, string eventId, CancellationToken ct)
    {
        if (await session.LoadAsync<EventLocator>(eventId, ct) is not { } at) return null;
        var events = await session.Events.FetchStreamAsync(SyncStreams.Room(at.RoomId), version: at.Version, fromVersion: at.Version, token: ct);
        return events.Select(e => e.Data).OfType<RoomEvent>().FirstOrDefault(e => e.EventId == eventId);
    }
}
