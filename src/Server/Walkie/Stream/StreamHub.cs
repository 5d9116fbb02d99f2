using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Marten;
using Microsoft.Extensions.Options;
using WalkieTalkie.Audio;
using WalkieTalkie.Server.Infrastructure;
using WalkieTalkie.Server.Matrix.Rooms;
using WalkieTalkie.Server.Walkie.Consent;
using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>
/// The live-audio relay of this process: which connections listen to which room, who holds each room's floor, and the
/// single-speaker relay itself. A room has one channel number in this process, used on every connection, so a frame
/// is relayed as the very bytes the talker sent (the receiver's channel is the sender's) — one buffer for everyone.
/// Floor changes become control messages here and, through <see cref="StreamSignals"/>, in the other processes.
/// </summary>
public sealed class StreamHub(
    IDocumentStore store, IServiceProvider services, IMediaActivity media, BurstTracker bursts, StreamSignals signals,
    IOptions<StreamOptions> options, TimeProvider clock, ILogger<StreamHub> logger) : IFloorChangeListener, IConsentChangeListener
{
    readonly ConcurrentDictionary<string, LiveRoom> _rooms = new();
    readonly ConcurrentDictionary<ushort, LiveRoom> _channels = new();
    readonly ConcurrentDictionary<Guid, StreamConnection> _connections = new();
    readonly StreamOptions _options = options.Value;
    int _nextChannel;
    long _relayed, _dropped;

    public long FramesRelayed => Interlocked.Read(ref _relayed);
    public long FramesDropped => Interlocked.Read(ref _dropped);
    public int Connections => _connections.Count;

    sealed class LiveRoom(string roomId, ushort channel)
    {
        public string RoomId { get; } = roomId;
        public ushort Channel { get; } = channel;
        // Each listener with its subscription to this room: the relay loop makes no dictionary lookup per listener per frame.
        public volatile (StreamConnection Connection, StreamConnection.Subscription Subscription)[] Listeners = [];
        public DeviceRef? Holder;
        public long Epoch;
        public long Version = -1;
        public readonly Lock Gate = new();
    }

    /// <summary>This process's open streams of one device (for diagnostics, tests and benchmarks).</summary>
    public IReadOnlyList<StreamConnection> ConnectionsOf(DeviceRef device) => _connections.Values.Where(c => c.Device == device).ToList();

    public void Attach(StreamConnection connection) => _connections[connection.Id] = connection;

    /// <summary>The connection is gone: unsubscribe it; a holder whose last stream closed loses the floor (`disconnected`).</summary>
    public void Detach(StreamConnection connection)
    {
        _connections.TryRemove(connection.Id, out _);
        foreach (var roomId in connection.Rooms.Keys)
        {
            if (!_rooms.TryGetValue(roomId, out var room)) continue;
            lock (room.Gate) room.Listeners = room.Listeners.Where(l => l.Connection != connection).ToArray();
            if (room.Holder == connection.Device && !_connections.Values.Any(c => c.Device == connection.Device))
                _ = RevokeDisconnectedAsync(roomId, connection.Device);
        }
    }

    async Task RevokeDisconnectedAsync(string roomId, DeviceRef device)
    {
        try
        {
            // Resolved late: FloorControl's change feed already depends on this hub.
            var floor = services.GetRequiredService<FloorControl>();
            await floor.DecideAsync(roomId, [device], handsOver: true, scene =>
                scene.Floor is Floor.Floor.Taken t && t.Holder == device
                    ? [new RevokeFloor(roomId, device, RevokeReason.Disconnected, scene.Settings, scene.Eligible)]
                    : [], CancellationToken.None);
        }
        catch (Exception e) { logger.LogWarning(e, "Could not take the floor of {Room} from disconnected {Device}", roomId, device); }
    }

    /// <summary>Subscribes to rooms the device has joined and where walkie-talkie is on; returns refusals by room.</summary>
    public async Task<IReadOnlyDictionary<string, MatrixError>> SubscribeAsync(StreamConnection connection, IReadOnlyList<string> roomIds,
        CancellationToken ct)
    {
        var refused = new Dictionary<string, MatrixError>();
        await using var session = store.QuerySession();
        foreach (var roomId in roomIds.Distinct())
        {
            if (connection.Rooms.ContainsKey(roomId)) continue;
            if (connection.Rooms.Count >= _options.MaxRoomsPerConnection)
            {
                refused[roomId] = MatrixError.Forbidden($"At most {_options.MaxRoomsPerConnection} rooms per stream");
                continue;
            }
            var state = await session.LoadAsync<RoomState>(roomId, ct);
            try { WalkieAccess.RequireEnabledMember(state ?? new RoomState { Id = roomId }, connection.Device.UserId); }
            catch (MatrixException e)
            {
                refused[roomId] = e.MatrixError;
                continue;
            }

            var consent = await session.LoadAsync<ConsentSnapshot>(ConsentStream.Id(roomId, connection.Device), ct);
            var room = await RoomAsync(session, roomId, ct);
            var subscription = new StreamConnection.Subscription(room.Channel) { ConsentUntilMs = ConsentUntil(consent) };
            connection.Rooms[roomId] = subscription;
        }
        return refused;
    }

    /// <summary>
    /// After `subscribed` went into the control queue: the current holder of each new room, then its audio (late entry
    /// hears the next frame). In this order no frame can reach a client before it knows the room's channel.
    /// </summary>
    public void StartListening(StreamConnection connection, IEnumerable<string> roomIds)
    {
        foreach (var roomId in roomIds)
        {
            if (!_rooms.TryGetValue(roomId, out var room) || !connection.Rooms.TryGetValue(roomId, out var subscription)) continue;
            lock (room.Gate)
            {
                if (room.Holder is { } holder) connection.Send(StreamMessages.Taken(roomId, holder, room.Epoch));
                room.Listeners = [.. room.Listeners, (connection, subscription)];
            }
        }
    }

    async Task<LiveRoom> RoomAsync(IQuerySession session, string roomId, CancellationToken ct)
    {
        if (_rooms.TryGetValue(roomId, out var existing)) return existing;
        var snapshot = await session.LoadAsync<FloorSnapshot>(FloorStream.Id(roomId), ct);
        var created = new LiveRoom(roomId, (ushort)(Interlocked.Increment(ref _nextChannel) % 65535 + 1));
        var room = _rooms.GetOrAdd(roomId, created);
        if (room != created) return room;
        _channels[room.Channel] = room;
        lock (room.Gate)
        {
            if (snapshot is not null && snapshot.Version > room.Version)
                (room.Holder, room.Epoch, room.Version) = (snapshot.Holder, snapshot.Epoch, snapshot.Version);
        }
        return room;
    }

    /// <summary>
    /// A binary frame from a connection: relayed to every other listening, consenting device of the room when it comes
    /// from the holder with the current epoch; otherwise dropped (false: counts as invalid).
    /// </summary>
    public bool Relay(StreamConnection from, ReadOnlyMemory<byte> frame)
    {
        if (!AudioFrame.TryParse(frame.Span, out var header, out var payload, out _)
            || !_channels.TryGetValue(header.Channel, out var room)
            || !from.Rooms.ContainsKey(room.RoomId)
            || room.Holder != from.Device
            || header.Epoch != (uint)room.Epoch)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }
        if (!from.WithinFrameRate())
        {
            Interlocked.Increment(ref _dropped);
            return true; // too fast is not malformed: dropped, not held against the connection
        }

        var now = clock.GetUtcNow();
        var bytes = frame.ToArray(); // the one copy: every listener gets this same array
        media.FrameReceived(room.RoomId, room.Epoch, now);
        bursts.FrameRelayed(room.RoomId, room.Epoch, from.Device, header.Seq, frame.Span[payload], now);
        Fanout(room, bytes, from.Device, now.ToUnixTimeMilliseconds());
        if (_options.RelayAcrossProcesses) signals.PublishAudio(room.RoomId, room.Epoch, bytes);
        return true;
    }

    /// <summary>A frame relayed by another process: same room, so the same bytes with this process's channel.</summary>
    public void RelayRemote(string roomId, long epoch, byte[] frame)
    {
        // Recorded even without local listeners: this process may be the one whose durable timer checks end of media.
        media.FrameReceived(roomId, epoch, clock.GetUtcNow());
        if (!_rooms.TryGetValue(roomId, out var room) || room.Epoch != epoch || frame.Length < AudioFrame.HeaderSize) return;
        AudioFrame.RewriteChannel(frame, room.Channel);
        Fanout(room, frame, room.Holder, clock.GetUtcNow().ToUnixTimeMilliseconds());
    }

    void Fanout(LiveRoom room, byte[] frame, DeviceRef? speaker, long nowMs)
    {
        var relayed = 0;
        foreach (var (listener, subscription) in room.Listeners)
        {
            if (listener.Device == speaker || !subscription.HearsAt(nowMs)) continue;
            listener.SendAudio(frame);
            relayed++;
        }
        Interlocked.Add(ref _relayed, relayed); // one shared-counter update per frame, not one per listener (contended across rooms)
    }

    public ValueTask OnFloorChangedAsync(FloorChanged change, CancellationToken ct)
    {
        var deliveries = change.Events.SelectMany(StreamMessages.For).ToList();
        ApplyFloor(change.RoomId, change.View.Holder, change.View.Epoch, change.Version, deliveries);
        foreach (var e in change.Events)
            switch (e)
            {
                case FloorReleased r: bursts.BurstEnded(r.RoomId, r.Epoch, "released", r.At); break;
                case FloorRevoked r: bursts.BurstEnded(r.RoomId, r.Epoch, r.Reason.ToWire(), r.At); break;
            }
        if (_options.RelayAcrossProcesses) signals.PublishFloor(change.RoomId, change.View.Holder, change.View.Epoch, change.Version, deliveries);
        return ValueTask.CompletedTask;
    }

    /// <summary>A floor change (ours or another process's): remember the holder, tell the devices concerned.</summary>
    public void ApplyFloor(string roomId, DeviceRef? holder, long epoch, long version, IReadOnlyList<StreamDelivery> deliveries)
    {
        if (_rooms.TryGetValue(roomId, out var room))
            lock (room.Gate)
                if (version > room.Version) (room.Holder, room.Epoch, room.Version) = (holder, epoch, version);

        foreach (var delivery in deliveries)
        {
            if (delivery.To is { } device)
            {
                foreach (var connection in _connections.Values.Where(c => c.Device == device)) connection.Send(delivery.Message);
            }
            else if (room is not null)
            {
                foreach (var (listener, _) in room.Listeners.Where(l => l.Connection.Device != delivery.Except)) listener.Send(delivery.Message);
            }
        }
    }

    public void ConsentChanged(ConsentEvent change)
    {
        var until = change switch
        {
            ConsentGiven g => g.ExpiresAt?.ToUnixTimeMilliseconds() ?? long.MaxValue,
            _ => 0,
        };
        ApplyConsent(change.RoomId, change.Device, until);
        if (_options.RelayAcrossProcesses) signals.PublishConsent(change.RoomId, change.Device, until);
    }

    public void ApplyConsent(string roomId, DeviceRef device, long untilMs)
    {
        foreach (var connection in _connections.Values.Where(c => c.Device == device))
            if (connection.Rooms.TryGetValue(roomId, out var subscription))
                Volatile.Write(ref subscription.ConsentUntilMs, untilMs);
    }

    static long ConsentUntil(ConsentSnapshot? snapshot) =>
        snapshot is { Active: true } ? snapshot.ExpiresAt?.ToUnixTimeMilliseconds() ?? long.MaxValue : 0;

    /// <summary>The subscriptions of a connection as `subscribed` lists them.</summary>
    public static IEnumerable<KeyValuePair<string, ushort>> Channels(StreamConnection connection) =>
        connection.Rooms.Select(r => KeyValuePair.Create(r.Key, r.Value.Channel));
}
