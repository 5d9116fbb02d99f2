using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Walkie.Consent;
using WalkieTalkie.Server.Walkie.Floor;
using WalkieTalkie.Server.Walkie.Stream.Relay;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>
/// The live-audio relay of this process: which connections listen to which room, who holds each room's floor, and the
/// single-speaker relay itself. A room has one channel number in this process, used on every connection, so a frame
/// is relayed as the very bytes the talker sent (the receiver's channel is the sender's) — one buffer for everyone.
/// Floor changes become control messages here and, through <see cref="StreamSignals"/>, in the other processes.
/// </summary>
public sealed class StreamHub(
    IDocumentStore store, FloorControl floor, IMediaActivity media, BurstTracker bursts, StreamSignals signals, StreamMetrics metrics,
    IOptions<StreamOptions> options, TimeProvider clock, ILogger<StreamHub> logger, Servers.ServerAudio servers)
    : IFloorChangeListener, IConsentChangeListener
{
    readonly ConcurrentDictionary<string, LiveRoom> _rooms = new();
    readonly ConcurrentDictionary<ushort, LiveRoom> _channels = new();
    readonly ConcurrentDictionary<Guid, StreamConnection> _connections = new();
    readonly StreamOptions _options = options.Value;
    readonly long[] _droppedBy = new long[Enum.GetValues<FrameDropReason>().Length];
    int _nextChannel;
    long _relayed, _floorChecks;

    public long FramesRelayed => Interlocked.Read(ref _relayed);
    public long FramesDropped => _droppedBy.Sum(d => Interlocked.Read(ref d));
    public long FramesDroppedFor(FrameDropReason reason) => Interlocked.Read(ref _droppedBy[(int)reason]);
    /// <summary>Times a frame's epoch was newer than this process knew and the committed floor was read (for tests).</summary>
    public long FloorChecks => Interlocked.Read(ref _floorChecks);
    public int Connections => _connections.Count;
    public int Listeners => _rooms.Values.Sum(r => r.Fanout.All.Length);

    /// <summary>This process's open streams of one device (for diagnostics, tests and benchmarks).</summary>
    public IReadOnlyList<StreamConnection> ConnectionsOf(DeviceRef device) => _connections.Values.Where(c => c.Device == device).ToList();

    /// <summary>Subscribes to the floor host's answers to forwarded requests (see <see cref="Anticipate"/>).</summary>
    public void ListenTo(FloorForwarder forwarder) => forwarder.HostGranted += Anticipate;

    /// <summary>A device of this server was granted by another server (the room's floor host): its frames pass from now on.</summary>
    void Anticipate(string roomId, DeviceRef device, FloorOutcome.Granted granted)
    {
        if (_rooms.TryGetValue(roomId, out var room))
            lock (room.Gate) room.Anticipate(device, granted.Epoch, granted.Emergency, clock.GetTimestamp());
    }

    public void Attach(StreamConnection connection) => _connections[connection.Id] = connection;

    /// <summary>The connection is gone: unsubscribe it; a holder whose last stream closed loses the floor (`disconnected`).</summary>
    public void Detach(StreamConnection connection)
    {
        _connections.TryRemove(connection.Id, out _);
        foreach (var roomId in connection.Rooms.Keys)
        {
            if (!_rooms.TryGetValue(roomId, out var room)) continue;
            lock (room.Gate) room.Fanout.Remove(connection);
            if (room.Holder == connection.Device && !_connections.Values.Any(c => c.Device == connection.Device))
                _ = RevokeDisconnectedAsync(roomId, connection.Device);
        }
    }

    async Task RevokeDisconnectedAsync(string roomId, DeviceRef device)
    {
        try
        {
            await floor.HandleAsync(new FloorCommand.Depart(roomId, device, RevokeReason.Disconnected));
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
                if (room.Holder is { } holder) connection.Send(StreamMessages.Taken(roomId, holder, room.Epoch, room.Emergency));
                room.Fanout.Add(connection, subscription);
            }
        }
    }

    async Task<LiveRoom> RoomAsync(IQuerySession session, string roomId, CancellationToken ct)
    {
        if (_rooms.TryGetValue(roomId, out var existing)) return existing;
        var snapshot = await session.LoadAsync<FloorSnapshot>(FloorStream.Id(roomId), ct);
        var created = new LiveRoom(roomId, (ushort)(Interlocked.Increment(ref _nextChannel) % 65535 + 1),
            new RoomFanout(_options.RelayLanes, CountRelayed));
        var room = _rooms.GetOrAdd(roomId, created);
        if (room != created) return room;
        _channels[room.Channel] = room;
        if (snapshot is not null)
            lock (room.Gate) room.SetFloor(snapshot.Holder, snapshot.Epoch, snapshot.Emergency, snapshot.Version, clock.GetTimestamp());
        return room;
    }

    /// <summary>
    /// A binary frame from a connection: relayed to every other listening, consenting device of the room when it comes
    /// from the holder with the current epoch. An epoch newer than this process knows (the grant was answered by HTTP,
    /// maybe on another process, and its change has not reached us) is checked against the committed floor, the
    /// frames waiting in order meanwhile. False: invalid, counted against the connection.
    /// </summary>
    public bool Relay(StreamConnection from, ReadOnlyMemory<byte> frame)
    {
        var arrived = clock.GetTimestamp();
        if (!AudioFrame.TryParse(frame.Span, out var header, out var payload, out _)
            || !_channels.TryGetValue(header.Channel, out var room)
            || !from.Rooms.ContainsKey(room.RoomId))
            return Drop(FrameDropReason.Malformed, valid: false);
        if (!from.WithinFrameRate())
            return Drop(FrameDropReason.RateLimited, valid: true); // too fast is not malformed: dropped, not held against the connection

        if (room.Holder == from.Device && header.Epoch == (uint)room.Epoch && room.Check?.Epoch != header.Epoch)
        {
            Accept(room, header.Epoch, from, frame.Span, header.Seq, payload, arrived); // no copy: the relay frames it once
            return true;
        }
        return RelayUnsure(room, new HeldFrame(from, frame.ToArray(), header.Seq, payload, arrived), header.Epoch);
    }

    /// <summary>A frame relayed by another process: same room, so the same bytes with this process's channel.</summary>
    public void RelayRemote(string roomId, long epoch, byte[] frame)
    {
        var arrived = clock.GetTimestamp();
        if (!AudioFrame.TryParse(frame, out var header, out var payload)) return;
        if (!_rooms.TryGetValue(roomId, out var room))
        {
            // No listener here, but this process's durable timer may be the one that checks end of media.
            media.FrameReceived(roomId, epoch, clock.GetUtcNow());
            return;
        }
        AudioFrame.RewriteChannel(frame, room.Channel);
        if (epoch == room.Epoch && room.Check?.Epoch != epoch)
        {
            Accept(room, epoch, null, frame, header.Seq, payload, arrived);
            return;
        }
        RelayUnsure(room, new HeldFrame(null, frame, header.Seq, payload, arrived), (uint)epoch);
    }

    /// <summary>The slow path, under the room's lock: current after all, waiting for a floor check, late, or invalid.</summary>
    bool RelayUnsure(LiveRoom room, HeldFrame frame, uint epoch)
    {
        EpochCheck? started = null;
        lock (room.Gate)
        {
            var check = room.Check;
            if (check?.Epoch == epoch || (check is null && epoch > (uint)room.Epoch && epoch > room.CheckedEpoch))
            {
                if (check is null) room.Check = check = started = new EpochCheck(epoch);
                if (check.Frames.Count >= _options.MaxHeldFrames)
                {
                    check.Frames.Dequeue();
                    Drop(FrameDropReason.HeldTooLong, valid: true);
                }
                check.Frames.Enqueue(frame);
            }
            else if (IsCurrent(room, frame, epoch))
            {
                Accept(room, epoch, frame.From, frame.Bytes, frame.Seq, frame.Payload, frame.Arrived);
                return true;
            }
            else if (frame.From is null)
            {
                return Drop(FrameDropReason.NotHolder, valid: true); // another process relayed an epoch this one has moved past
            }
            else if (room.IsLateFrame(frame.From.Device, epoch, clock.GetTimestamp(), clock.GetElapsedTime, _options))
            {
                frame.From.DropLateFrame();
                return Drop(FrameDropReason.LateForEndedGrant, valid: true);
            }
            else
            {
                return Drop(FrameDropReason.NotHolder, valid: false);
            }
        }
        if (started is not null) _ = CheckFloorAsync(room, started);
        return true;
    }

    static bool IsCurrent(LiveRoom room, HeldFrame frame, uint epoch) =>
        epoch == (uint)room.Epoch && room.Holder is not null && (frame.From is null || frame.From.Device == room.Holder);

    /// <summary>Reads the committed floor once for the checked epoch, then relays or rejects the frames that waited for it, in order.</summary>
    async Task CheckFloorAsync(LiveRoom room, EpochCheck check)
    {
        Interlocked.Increment(ref _floorChecks);
        FloorSnapshot? snapshot = null;
        try
        {
            await using var session = store.QuerySession();
            snapshot = await session.LoadAsync<FloorSnapshot>(FloorStream.Id(room.RoomId));
        }
        catch (Exception e) { logger.LogWarning(e, "Could not read the floor of {Room} for epoch {Epoch}", room.RoomId, check.Epoch); }

        var rejected = new List<StreamConnection>();
        lock (room.Gate)
        {
            try
            {
                if (snapshot is not null) room.SetFloor(snapshot.Holder, snapshot.Epoch, snapshot.Emergency, snapshot.Version, clock.GetTimestamp());
                // An unreadable floor is asked again by the next frame, and its frames are not held against the sender.
                if (snapshot is not null) room.CheckedEpoch = Math.Max(room.CheckedEpoch, check.Epoch);
                foreach (var frame in check.Frames)
                {
                    if (IsCurrent(room, frame, (uint)check.Epoch))
                    {
                        Accept(room, check.Epoch, frame.From, frame.Bytes, frame.Seq, frame.Payload, frame.Arrived);
                        continue;
                    }
                    Drop(FrameDropReason.NotHolder, valid: true);
                    if (frame.From is not null && snapshot is not null) rejected.Add(frame.From);
                }
            }
            catch (Exception e) { logger.LogWarning(e, "Relaying the held frames of {Room}/{Epoch} failed", room.RoomId, check.Epoch); }
            finally
            {
                room.Check = null; // after the held frames: a later frame of this epoch cannot overtake them
            }
        }
        foreach (var connection in rejected) connection.RejectFrame();
    }

    /// <summary>A frame of the current grant: one copy (shared by every listener), end of media moved on, recorded, fanned out.</summary>
    void Accept(LiveRoom room, long epoch, StreamConnection? from, ReadOnlySpan<byte> bytes, uint seq, Range payload, long arrived)
    {
        var now = clock.GetUtcNow();
        media.FrameReceived(room.RoomId, epoch, now);
        if (from is not null) bursts.FrameRelayed(room.RoomId, epoch, from.Device, seq, bytes[payload], now);
        Fanout(room, bytes, from?.Device ?? room.Holder, now.ToUnixTimeMilliseconds());
        if (from is not null && _options.RelayAcrossProcesses) signals.PublishAudio(room.RoomId, epoch, bytes);
        if (from is not null) servers.LocalFrame(room.RoomId, epoch, bytes); // to the floor host, or from it to the room's other servers
        metrics.Relayed(clock.GetElapsedTime(arrived));
    }

    bool Drop(FrameDropReason reason, bool valid)
    {
        Interlocked.Increment(ref _droppedBy[(int)reason]);
        return valid;
    }

    /// <summary>The frame is framed once as WebSocket bytes: the room's channel is the same on every connection, so one image serves all.</summary>
    static void Fanout(LiveRoom room, ReadOnlySpan<byte> frame, DeviceRef? speaker, long nowMs)
    {
        var framed = RelayFrame.Audio(frame);
        try { room.Fanout.Audio(framed, speaker, nowMs); }
        finally { framed.Release(); }
    }

    // One shared-counter update per frame and lane, not one per listener (contended across rooms).
    void CountRelayed(int listeners) => Interlocked.Add(ref _relayed, listeners);

    public ValueTask OnFloorChangedAsync(FloorChanged change, CancellationToken ct)
    {
        var deliveries = change.Events.SelectMany(StreamMessages.For).ToList();
        ApplyFloor(change.RoomId, change.View.Holder, change.View.Epoch, change.View.Emergency, change.Version, deliveries);
        foreach (var e in change.Events)
            switch (e)
            {
                case FloorReleased r: bursts.BurstEnded(r.RoomId, r.Epoch, "released", r.At); break;
                case FloorRevoked r: bursts.BurstEnded(r.RoomId, r.Epoch, r.Reason.ToWire(), r.At); break;
            }
        if (_options.RelayAcrossProcesses) signals.PublishFloor(change.RoomId, change.View.Holder, change.View.Epoch, change.View.Emergency, change.Version, deliveries);
        return ValueTask.CompletedTask;
    }

    /// <summary>A floor change (ours or another process's): remember the holder, tell the devices concerned.</summary>
    public void ApplyFloor(string roomId, DeviceRef? holder, long epoch, bool emergency, long version, IReadOnlyList<StreamDelivery> deliveries)
    {
        if (_rooms.TryGetValue(roomId, out var room))
            lock (room.Gate) room.SetFloor(holder, epoch, emergency, version, clock.GetTimestamp());

        foreach (var delivery in deliveries)
        {
            if (delivery.To is { } device)
            {
                foreach (var connection in _connections.Values.Where(c => c.Device == device)) connection.Send(delivery.Framed);
            }
            else
            {
                room?.Fanout.Control(delivery.Framed, delivery.Except);
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
