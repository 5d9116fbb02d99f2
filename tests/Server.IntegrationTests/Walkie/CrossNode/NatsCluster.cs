using WalkieTalkie.Server.IntegrationTests.Walkie.Stream;
using WalkieTalkie.Server.Walkie.Stream;
using WalkieTalkie.Server.Walkie.Stream.Bus;
using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.CrossNode;

/// <summary>Server processes on one fresh database, all with <c>ConnectionStrings:nats</c> of one test NATS server.</summary>
public sealed class NatsCluster : IAsyncDisposable
{
    public TestNatsServer Nats { get; }
    public List<WalkieHost> Hosts { get; } = [];
    readonly string _database;

    NatsCluster(TestNatsServer nats, string database) => (Nats, _database) = (nats, database);

    public static async Task<NatsCluster> StartAsync(IntegrationFixture fixture, int processes)
    {
        var cluster = new NatsCluster(await TestNatsServer.StartAsync(), await fixture.CreateDatabaseAsync());
        for (var i = 0; i < processes; i++) await cluster.AddHostAsync();
        return cluster;
    }

    public async Task<WalkieHost> AddHostAsync()
    {
        var host = await WalkieHost.StartAsync(_database, new Dictionary<string, string?>
        {
            ["ConnectionStrings:nats"] = Nats.Url,
            // Frames are sent faster than real time; the per-connection guard is for clients, not for this test.
            ["Walkie:Stream:MaxFramesPerSecond"] = "100000",
        });
        Hosts.Add(host);
        await EventuallyAsync(() => Task.FromResult(Hosts.Select(h => h.Services.GetRequiredService<PeerPresence>().Peers).ToList()),
            peers => peers.All(p => p == Hosts.Count - 1), TimeSpan.FromSeconds(30), $"every process counts {Hosts.Count - 1} others");
        return host;
    }

    public static NatsAudio Bus(WalkieHost host) => host.Services.GetRequiredService<NatsAudio>();
    public static StreamSignals Signals(WalkieHost host) => host.Services.GetRequiredService<StreamSignals>();

    /// <summary>A walkie room (long timers) whose owner talks and whose other members listen, all consenting.</summary>
    public async Task<(WalkieRoom Room, MatrixTestClient Talker, List<MatrixTestClient> Listeners)> RoomAsync(int listeners)
    {
        var talker = await MatrixTestClient.RegisterAsync(Hosts[0]);
        var others = new List<MatrixTestClient>();
        for (var i = 0; i < listeners; i++) others.Add(await MatrixTestClient.RegisterAsync(Hosts[0]));
        var room = await WalkieRoom.CreateAsync(talker, new { enabled = true, max_talk_ms = 600_000, end_of_media_ms = 30_000 }, others);
        foreach (var client in others.Prepend(talker)) await room.ConsentAsync(client);
        return (room, talker, others);
    }

    /// <summary>A stream of <paramref name="client"/> on <paramref name="host"/>, subscribed to the room.</summary>
    public static async Task<LiveSocket> ListenAsync(WalkieHost host, MatrixTestClient client, string roomId)
    {
        var socket = await LiveSocket.OpenAsync(host, client);
        await socket.SubscribeAsync(roomId);
        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Hosts) await host.DisposeAsync();
        await Nats.DisposeAsync();
    }
}
