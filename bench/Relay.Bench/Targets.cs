using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using WalkieTalkie.Server.Walkie;
using DeviceRef = WalkieTalkie.Server.Infrastructure.DeviceRef;
using WalkieTalkie.Server.Walkie.Stream;
using ClientMessage = WalkieTalkie.Protocol.ClientMessage;
using ControlJson = WalkieTalkie.Protocol.ControlJson;
using ControlTypes = WalkieTalkie.Protocol.ControlTypes;
using FloorPriority = WalkieTalkie.Protocol.FloorPriority;

namespace WalkieTalkie.Bench.Relay;

/// <summary>A server under test, as its clients see it.</summary>
interface IRelayTarget : IAsyncDisposable
{
    string Name { get; }
    /// <summary>The control message a listener sends to start hearing; answered with `subscribed`.</summary>
    string Subscribe { get; }
    Uri ListenerUri(int index);
    /// <summary>A subscribed connection in a room of its own, where nothing happens.</summary>
    Uri IdleUri { get; }
    /// <summary>The talker holds the floor (when there is one) and knows its channel and epoch.</summary>
    Task<Talker> StartTalkingAsync();
    Task StopTalkingAsync();
    /// <summary>Frames dropped from listener queues (drop-oldest) so far.</summary>
    long QueueDrops();
    long ServerConnections();
    /// <summary>Rooms of their own (not the big room), each with a connected talker and <paramref name="listeners"/> listener addresses.</summary>
    Task<IReadOnlyList<BenchRoom>> OpenRoomsAsync(int rooms, int listeners);
    /// <summary>The talker of a room of <see cref="OpenRoomsAsync"/> takes the floor (once its listeners listen: end of media runs from here).</summary>
    Task TakeFloorAsync(BenchRoom room);
    /// <summary>The talkers of <see cref="OpenRoomsAsync"/> release the floor and hang up.</summary>
    Task CloseRoomsAsync(IReadOnlyList<BenchRoom> rooms);
}

sealed class BaselineTarget(BaselineServer server, byte[][] packets) : IRelayTarget
{
    Talker? _talker;

    public string Name => "baseline";
    public string Subscribe => Encoding.UTF8.GetString(ControlJson.Serialize(new ClientMessage.Subscribe([])));
    public Uri ListenerUri(int index) => new(Ws(server.BaseAddress), "/listen?room=bench");
    public Uri IdleUri => new(Ws(server.BaseAddress), "/listen?room=idle");

    public async Task<Talker> StartTalkingAsync()
    {
        _talker ??= await Talker.ConnectAsync(new Uri(Ws(server.BaseAddress), "/talk?room=bench"), packets);
        _talker.Channel = 1;
        _talker.Epoch = 1;
        return _talker;
    }

    public Task StopTalkingAsync() => Task.CompletedTask;

    public async Task<IReadOnlyList<BenchRoom>> OpenRoomsAsync(int rooms, int listeners)
    {
        var open = new BenchRoom[rooms];
        await Parallel.ForEachAsync(Enumerable.Range(0, rooms), async (k, _) =>
        {
            var talker = await Talker.ConnectAsync(new Uri(Ws(server.BaseAddress), $"/talk?room=many{k}"), packets);
            (talker.Channel, talker.Epoch) = (1, 1);
            open[k] = new BenchRoom($"many{k}", talker, Enumerable.Repeat(new Uri(Ws(server.BaseAddress), $"/listen?room=many{k}"), listeners).ToList(), Subscribe);
        });
        return open;
    }

    public Task TakeFloorAsync(BenchRoom room) => Task.CompletedTask;

    public async Task CloseRoomsAsync(IReadOnlyList<BenchRoom> rooms)
    {
        foreach (var room in rooms.Where(r => r is not null)) await room.Talker.DisposeAsync();
    }

    public long QueueDrops() => server.Dropped;
    public long ServerConnections() => server.Connections;

    public static Uri Ws(Uri http) => new UriBuilder(http) { Scheme = "ws" }.Uri;

    public async ValueTask DisposeAsync()
    {
        if (_talker is not null) await _talker.DisposeAsync();
        await server.DisposeAsync();
    }
}

/// <summary>
/// The real server in this process: one walkie room; one talker device (the room's creator); listener devices of a
/// few users (one registration each, then /login for more devices), all joined and consenting. Listener i uses
/// device i mod the device count, so more listeners than devices are extra streams of the same devices.
/// </summary>
sealed class WalkieTarget(WebApplication app, Uri baseAddress, byte[][] packets) : IRelayTarget
{
    public const string P = "/_matrix/client/unstable/org.matrix.msc4002";
    readonly List<MatrixClient> _devices = [];
    MatrixClient _owner = null!;
    Talker? _talker;
    string _roomId = "";

    public string Name => "WalkieTalkie";
    public string RoomId => _roomId;
    public IReadOnlyList<MatrixClient> Devices => _devices;
    public string Subscribe => Encoding.UTF8.GetString(ControlJson.Serialize(new ClientMessage.Subscribe([_roomId])));
    public StreamHub Hub => app.Services.GetRequiredService<StreamHub>();

    public Uri ListenerUri(int index) => StreamUri(_devices[index % _devices.Count]);
    /// <summary>Measured while the baseline runs: no floor activity in the walkie room meanwhile.</summary>
    public Uri IdleUri => ListenerUri(0);

    Uri StreamUri(MatrixClient device) =>
        new UriBuilder(BaselineTarget.Ws(baseAddress)) { Path = P + "/stream", Query = $"access_token={device.AccessToken}" }.Uri;

    public async Task SetUpAsync(HttpClient http, int devices, int users)
    {
        _owner = await MatrixClient.RegisterAsync(http, "talker");
        // Default timers (max talk 30 s, end of media 4 s): every measured burst is shorter and has its own grant.
        _roomId = await ConsentSetup.CreateWalkieRoomAsync(_owner);
        var room = Uri.EscapeDataString(_roomId);

        var accounts = new List<MatrixClient>();
        for (var u = 0; u < users; u++)
        {
            var account = await MatrixClient.RegisterAsync(http, "listener");
            await account.PostAsync($"/_matrix/client/v3/join/{room}", new { });
            accounts.Add(account);
        }
        var logins = Enumerable.Range(0, devices).Select(i => (Account: accounts[i % users], First: i < users)).ToList();
        var created = new MatrixClient[devices];
        await Parallel.ForEachAsync(Enumerable.Range(0, devices), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var (account, first) = logins[i];
            created[i] = first ? account : await account.LoginAgainAsync();
            await created[i].PutAsync($"{P}/rooms/{room}/consent", new { }); // permanent consent
            if ((i + 1) % 250 == 0) Console.Error.WriteLine($"  {i + 1}/{devices} devices logged in and consenting");
        });
        _devices.AddRange(created);
    }

    public async Task<Talker> StartTalkingAsync()
    {
        if (_talker is null)
        {
            var talker = await Talker.ConnectAsync(StreamUri(_owner), packets);
            await talker.SendAsync(new ClientMessage.Subscribe([_roomId]));
            talker.Channel = (await talker.NextAsync(ControlTypes.Subscribed, TimeSpan.FromSeconds(30)))["channels"]![_roomId]!.GetValue<ushort>();
            _talker = talker;
        }
        await _talker.SendAsync(new ClientMessage.FloorRequest(_roomId, FloorPriority.Normal));
        _talker.Epoch = (uint)(await _talker.NextAsync(ControlTypes.FloorGranted, TimeSpan.FromSeconds(30)))["epoch"]!.GetValue<long>();
        return _talker;
    }

    public async Task StopTalkingAsync()
    {
        if (_talker is null) return;
        await _talker.SendAsync(new ClientMessage.FloorRelease(_roomId, _talker.Epoch));
        await _talker.NextAsync(ControlTypes.FloorIdle, TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Room k is created by device 6k's user (mod the device count) with walkie-talkie on; the next <paramref name="listeners"/>
    /// devices' users join, and all consent. The talker (device 6k) opens its stream and subscribes.
    /// </summary>
    public async Task<IReadOnlyList<BenchRoom>> OpenRoomsAsync(int rooms, int listeners)
    {
        var open = new BenchRoom[rooms];
        await Parallel.ForEachAsync(Enumerable.Range(0, rooms), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (k, _) =>
        {
            var members = Enumerable.Range(0, 1 + listeners).Select(i => _devices[(k * (1 + listeners) + i) % _devices.Count]).ToList();
            var owner = members[0];
            var roomId = await ConsentSetup.CreateWalkieRoomAsync(owner); // the owner consents there
            var room = Uri.EscapeDataString(roomId);
            foreach (var user in members.Skip(1).Where(m => m.UserId != owner.UserId).DistinctBy(m => m.UserId))
                await user.PostAsync($"/_matrix/client/v3/join/{room}", new { });
            foreach (var device in members.Skip(1)) await device.PutAsync($"{P}/rooms/{room}/consent", new { });

            var talker = await Talker.ConnectAsync(StreamUri(owner), packets);
            await talker.SendAsync(new ClientMessage.Subscribe([roomId]));
            talker.Channel = (await talker.NextAsync(ControlTypes.Subscribed, TimeSpan.FromSeconds(30)))["channels"]![roomId]!.GetValue<ushort>();
            open[k] = new BenchRoom(roomId, talker, members.Skip(1).Select(StreamUri).ToList(),
                Encoding.UTF8.GetString(ControlJson.Serialize(new ClientMessage.Subscribe([roomId]))));
        });
        return open;
    }

    public async Task TakeFloorAsync(BenchRoom room)
    {
        await room.Talker.SendAsync(new ClientMessage.FloorRequest(room.Id, FloorPriority.Normal));
        room.Talker.Epoch = (uint)(await room.Talker.NextAsync(ControlTypes.FloorGranted, TimeSpan.FromSeconds(30)))["epoch"]!.GetValue<long>();
    }

    public async Task CloseRoomsAsync(IReadOnlyList<BenchRoom> rooms)
    {
        foreach (var room in rooms.Where(r => r is not null))
        {
            await room.Talker.SendAsync(new ClientMessage.FloorRelease(room.Id, room.Talker.Epoch));
            await room.Talker.DisposeAsync();
        }
    }

    public long QueueDrops() => _devices.Distinct().Sum(d => Hub.ConnectionsOf(new DeviceRef(d.UserId, d.DeviceId)).Sum(c => c.AudioDropped));
    public long ServerConnections() => Hub.Connections - (_talker is null ? 0 : 1); // listeners only

    public async ValueTask DisposeAsync()
    {
        if (_talker is not null) await _talker.DisposeAsync();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
