using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using WalkieTalkie.Server.Federation.Edus;
using WalkieTalkie.Server.Federation.Keys;
using WalkieTalkie.Server.Walkie.Config;
using WalkieTalkie.Server.Walkie.Floor;
using WalkieTalkie.Server.Walkie.Stream.Bus;

namespace WalkieTalkie.Server.Walkie.Stream.Servers;

/// <summary>
/// Live audio between homeservers. A talker's frame goes once to the room's floor host; the floor host relays each
/// frame once to every other server in the room (never back to where it came from); every server fans out to its
/// own devices through its relay (epoch fencing, consent, late entry as for local frames). A frame from another
/// server is taken only from the server that may send it: at the floor host, the current holder's server with the
/// current epoch; elsewhere, the floor host. One WebSocket per destination (X-Matrix signed upgrade), opened on
/// demand, closed after <see cref="IdleAfter"/> without audio.
/// Message: u16 room id length | room id (UTF-8) | u64 epoch | the frame as the talker sent it (payload opaque).
/// </summary>
public sealed class ServerAudio(IDocumentStore store, IRoomServers rooms, RemoteStream remote, Destinations destinations,
    ServerSigningKeys keys, IOptions<MatrixOptions> matrix, ILogger<ServerAudio> logger) : IFloorChangeListener, IAsyncDisposable
{
    public const string Path = FloorWire.FederationPrefix + "/audio";
    static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(30);

    /// <summary>Where a room's audio goes: its floor host and its other servers.</summary>
    sealed record Route(string Host, IReadOnlySet<string> Servers);

    /// <summary>The room's grant as this server last heard it: whose server may send frames of which epoch.</summary>
    sealed record Grant(long Epoch, string? HolderServer);

    readonly ConcurrentDictionary<string, Route> _routes = new();
    readonly ConcurrentDictionary<string, Grant> _grants = new();
    readonly ConcurrentDictionary<string, Task> _refreshing = new();
    readonly Dictionary<string, List<(byte[] Frame, FrameAction Then)>> _waiting = new();
    readonly ConcurrentDictionary<string, Channel<byte[]>> _links = new(StringComparer.OrdinalIgnoreCase);
    readonly CancellationTokenSource _stop = new();
    readonly string _server = matrix.Value.ServerName;
    long _sent, _received, _refused;
    int _disposed, _waitingRooms;

    public long FramesSent => Interlocked.Read(ref _sent);
    public long FramesReceived => Interlocked.Read(ref _received);
    /// <summary>Frames from a server that may not send that room's audio now (not the holder's, or a stale epoch).</summary>
    public long FramesRefused => Interlocked.Read(ref _refused);

    /// <summary>A frame of a local talker, accepted by this server's relay.</summary>
    public void LocalFrame(string roomId, long epoch, ReadOnlySpan<byte> frame)
    {
        if (_waitingRooms == 0 && _routes.TryGetValue(roomId, out var route)) Forward(route, roomId, epoch, frame, origin: null);
        else LocalFrameLater(roomId, epoch, frame);
    }

    // Apart from the fast path above, so that its closure is allocated only when a frame has to wait.
    void LocalFrameLater(string roomId, long epoch, ReadOnlySpan<byte> frame) =>
        WhenRouteKnown(roomId, frame, (route, copy) => Forward(route, roomId, epoch, copy, origin: null));

    /// <summary>A frame from another server: heard here, and relayed on when this server is the floor host.</summary>
    public void RemoteFrame(string origin, string roomId, long epoch, ReadOnlySpan<byte> frame)
    {
        if (_waitingRooms == 0 && _routes.TryGetValue(roomId, out var route)) FromServer(route, origin, roomId, epoch, frame);
        else RemoteFrameLater(origin, roomId, epoch, frame);
    }

    void RemoteFrameLater(string origin, string roomId, long epoch, ReadOnlySpan<byte> frame) =>
        WhenRouteKnown(roomId, frame, (route, copy) => FromServer(route, origin, roomId, epoch, copy));

    void FromServer(Route route, string origin, string roomId, long epoch, ReadOnlySpan<byte> frame)
    {
        if (!MaySend(route, roomId, origin, epoch))
        {
            Interlocked.Increment(ref _refused);
            return;
        }
        Interlocked.Increment(ref _received);
        remote.RelayRemote(roomId, epoch, frame.ToArray());
        Forward(route, roomId, epoch, frame, origin);
    }

    bool MaySend(Route route, string roomId, string origin, long epoch)
    {
        if (!FloorHost.IsLocal(route.Host, _server)) return FloorHost.IsLocal(route.Host, origin); // the local relay fences the epoch
        return _grants.TryGetValue(roomId, out var grant) && grant.Epoch == epoch
            && grant.HolderServer is { } holder && FloorHost.IsLocal(holder, origin);
    }

    void Forward(Route route, string roomId, long epoch, ReadOnlySpan<byte> frame, string? origin)
    {
        var isHost = FloorHost.IsLocal(route.Host, _server);
        if (!isHost && origin is not null) return; // only the floor host relays between servers
        if (!isHost)
        {
            Link(route.Host).Writer.TryWrite(Encode(roomId, epoch, frame));
            return;
        }
        byte[]? message = null; // one copy for every destination
        foreach (var server in route.Servers)
        {
            if (origin is not null && FloorHost.IsLocal(server, origin)) continue;
            message ??= Encode(roomId, epoch, frame);
            Link(server).Writer.TryWrite(message);
        }
    }

    delegate void FrameAction(Route route, ReadOnlySpan<byte> frame);

    /// <summary>
    /// The room's route is being read: frames wait in arrival order and go on, in that order, once it is known
    /// (normally only the first frames of a room's first burst, since a grant reads the route ahead).
    /// </summary>
    void WhenRouteKnown(string roomId, ReadOnlySpan<byte> frame, FrameAction then)
    {
        lock (_waiting)
        {
            if (_waiting.TryGetValue(roomId, out var queue))
            {
                queue.Add((frame.ToArray(), then));
                return;
            }
            if (_routes.TryGetValue(roomId, out var route))
            {
                then(route, frame); // another room is waiting, not this one
                return;
            }
            _waiting[roomId] = [(frame.ToArray(), then)];
            Interlocked.Increment(ref _waitingRooms);
        }
        _ = DrainWhenKnownAsync(roomId);
    }

    async Task DrainWhenKnownAsync(string roomId)
    {
        await RefreshAsync(roomId);
        lock (_waiting)
        {
            // Under the lock: a frame arriving meanwhile queues behind these, so none overtakes another.
            if (_routes.TryGetValue(roomId, out var route))
                foreach (var (frame, then) in _waiting[roomId]) then(route, frame);
            _waiting.Remove(roomId); // if the route could not be read, the next frame starts a new wait
            Interlocked.Decrement(ref _waitingRooms);
        }
    }

    /// <summary>
    /// Registered before the relay's own listener, and it does not wait: by the time a device hears of a grant this
    /// server knows which server's frames it may take. Every grant reads the room's servers again (in the background):
    /// who joined or left since the last burst hears (or not) this one.
    /// </summary>
    public ValueTask OnFloorChangedAsync(FloorChanged change, CancellationToken ct)
    {
        var view = change.View;
        var next = new Grant(view.Epoch, view.Holder is { } h ? FloorHost.ServerOf(h.UserId) : null);
        // Epochs only grow; at the same epoch the end of a grant (no holder) wins over the grant.
        _grants.AddOrUpdate(change.RoomId, next, (_, known) =>
            next.Epoch > known.Epoch || (next.Epoch == known.Epoch && next.HolderServer is null) ? next : known);
        if (change.Events.OfType<FloorGranted>().Any() || !_routes.ContainsKey(change.RoomId)) _ = RefreshAsync(change.RoomId, force: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>Reads the room's floor host and servers once; callers at the same time share the read.</summary>
    Task RefreshAsync(string roomId, bool force = false) =>
        !force && _routes.ContainsKey(roomId) ? Task.CompletedTask : _refreshing.GetOrAdd(roomId, ReadRouteAsync);

    async Task ReadRouteAsync(string roomId)
    {
        try
        {
            await using var session = store.QuerySession();
            if (await session.LoadAsync<RoomState>(roomId) is not { } room) return;
            if (!_grants.ContainsKey(roomId) && await session.LoadAsync<FloorSnapshot>(FloorStream.Id(roomId)) is { } floor)
                _grants.TryAdd(roomId, new Grant(floor.Epoch, floor.Holder is { } h ? FloorHost.ServerOf(h.UserId) : null));
            _routes[roomId] = new Route(FloorHost.Of(room, WalkieConfig.Of(room)), await rooms.InRoomAsync(roomId, CancellationToken.None));
        }
        catch (Exception e) { logger.LogWarning(e, "Could not learn the servers of {Room}", roomId); }
        finally { _refreshing.TryRemove(roomId, out _); }
    }

    Channel<byte[]> Link(string server) => _links.GetOrAdd(server, s =>
    {
        var queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(512) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        _ = Task.Run(() => SendAsync(s, queue));
        return queue;
    });

    /// <summary>One link's life: connect on the first frame, send in order, close when idle; a broken link drops what it had and reconnects.</summary>
    async Task SendAsync(string server, Channel<byte[]> queue)
    {
        while (!_stop.IsCancellationRequested)
        {
            byte[] first;
            try { first = await queue.Reader.ReadAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            using var socket = new ClientWebSocket();
            try
            {
                var baseUri = await destinations.BaseAddressAsync(server, _stop.Token);
                var uri = new UriBuilder(new Uri(baseUri, Path)) { Scheme = baseUri.Scheme == "https" ? "wss" : "ws" }.Uri;
                var header = RequestSigning.Sign("GET", Path, _server, server, null, await keys.CurrentAsync(_stop.Token));
                socket.Options.SetRequestHeader("Authorization", header.ToString());
                await socket.ConnectAsync(uri, _stop.Token);
                await socket.SendAsync(first, WebSocketMessageType.Binary, true, _stop.Token);
                Interlocked.Increment(ref _sent);
                while (true)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    idle.CancelAfter(IdleAfter);
                    byte[] next;
                    try { next = await queue.Reader.ReadAsync(idle.Token); }
                    catch (OperationCanceledException) when (!_stop.IsCancellationRequested) { break; }
                    await socket.SendAsync(next, WebSocketMessageType.Binary, true, _stop.Token);
                    Interlocked.Increment(ref _sent);
                }
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "idle", _stop.Token);
            }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                logger.LogWarning("Audio link to {Server} failed: {Error}", server, e.Message);
                while (queue.Reader.TryRead(out _)) { } // stale audio is worth nothing after a reconnect
                try { await Task.Delay(TimeSpan.FromMilliseconds(500), _stop.Token); } catch (OperationCanceledException) { return; }
            }
            catch (Exception) { return; }
        }
    }

    public static byte[] Encode(string roomId, long epoch, ReadOnlySpan<byte> frame)
    {
        var length = Encoding.UTF8.GetByteCount(roomId); // one allocation per frame: the message itself
        var message = new byte[2 + length + 8 + frame.Length];
        BinaryPrimitives.WriteUInt16BigEndian(message, (ushort)length);
        Encoding.UTF8.GetBytes(roomId, message.AsSpan(2, length));
        BinaryPrimitives.WriteInt64BigEndian(message.AsSpan(2 + length), epoch);
        frame.CopyTo(message.AsSpan(10 + length));
        return message;
    }

    /// <param name="frame">Where the talker's frame is in <paramref name="message"/>.</param>
    public static bool TryDecode(ReadOnlySpan<byte> message, out string roomId, out long epoch, out Range frame)
    {
        roomId = "";
        epoch = 0;
        frame = default;
        if (message.Length < 2) return false;
        var length = BinaryPrimitives.ReadUInt16BigEndian(message);
        if (length == 0 || length > 255 || message.Length < 2 + length + 8 + 1) return false;
        roomId = Encoding.UTF8.GetString(message.Slice(2, length));
        epoch = BinaryPrimitives.ReadInt64BigEndian(message[(2 + length)..]);
        frame = (10 + length)..;
        return true;
    }

    /// <summary>Idempotent: the container disposes this once as itself and once as a floor listener.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        _stop.Dispose();
    }
}
