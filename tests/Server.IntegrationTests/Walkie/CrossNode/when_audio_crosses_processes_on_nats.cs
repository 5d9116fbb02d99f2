using NATS.Client.Core;
using WalkieTalkie.Server.IntegrationTests.Walkie.Stream;
using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.CrossNode;

/// <summary>
/// Three server processes on one database and one NATS server (issue 13): a talker on one, listeners on all three.
/// Audio between processes goes on NATS, binary, one subject per room; nothing of it goes by PostgreSQL NOTIFY.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_audio_crosses_processes_on_nats(IntegrationFixture fixture)
{
    const int Frames = 120;

    static byte[] Payload(int seq) => Enumerable.Range(0, 40 + seq % 20).Select(b => (byte)(b ^ seq)).ToArray();

    [Fact]
    public async Task listeners_on_every_process_hear_every_frame_in_order()
    {
        await using var cluster = await NatsCluster.StartAsync(fixture, processes: 3);
        var (room, talker, listeners) = await cluster.RoomAsync(listeners: 3);
        var sockets = new List<LiveSocket>();
        for (var i = 0; i < 3; i++) sockets.Add(await NatsCluster.ListenAsync(cluster.Hosts[i], listeners[i], room.Id));
        await using var talking = await NatsCluster.ListenAsync(cluster.Hosts[0], talker, room.Id);

        var epoch = (await room.RequestOkAsync(talker))["epoch"]!.GetValue<long>();
        for (var seq = 0; seq < Frames; seq++)
        {
            await talking.SendFrameAsync(room.Id, epoch, (uint)seq, Payload(seq));
            if (seq % 10 == 9) await Task.Delay(20); // a listener's queue holds 64 frames: bursts of ten, not all at once
        }

        for (var i = 0; i < 3; i++)
        {
            var heard = await sockets[i].FramesAsync(Frames, TimeSpan.FromSeconds(30));
            Assert.Equal(Enumerable.Range(0, Frames).Select(s => (uint)s), heard.Select(f => f.Header.Seq));
            Assert.All(heard, f => Assert.Equal((uint)epoch, f.Header.Epoch));
            Assert.All(heard, f => Assert.Equal(Payload((int)f.Header.Seq), f.Payload));
        }
        // The talker's process put each frame on NATS once; the two others took them from there, none by NOTIFY.
        Assert.Equal(Frames, NatsCluster.Bus(cluster.Hosts[0]).Published);
        Assert.All(cluster.Hosts.Skip(1), h => Assert.Equal(Frames, NatsCluster.Bus(h).Received));
        Assert.All(cluster.Hosts, h => Assert.Equal(0, NatsCluster.Signals(h).AudioNotified));
        foreach (var socket in sockets) await socket.DisposeAsync();
    }

    [Fact]
    public async Task a_single_process_sends_nothing_to_nats_until_a_second_one_starts()
    {
        await using var cluster = await NatsCluster.StartAsync(fixture, processes: 1);
        await using var watcher = new NatsConnection(new NatsOpts { Url = cluster.Nats.Url, Name = "test-watcher" });
        await watcher.ConnectAsync();
        var seen = new List<string>();
        using var stop = new CancellationTokenSource();
        var watching = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in watcher.SubscribeAsync<byte[]>(">", cancellationToken: stop.Token))
                    lock (seen) seen.Add(message.Subject);
            }
            catch (OperationCanceledException) { }
        });
        await watcher.PingAsync(); // the subscription is registered on the server before anything is sent

        var (room, talker, listeners) = await cluster.RoomAsync(listeners: 1);
        await using var listener = await NatsCluster.ListenAsync(cluster.Hosts[0], listeners[0], room.Id);
        await using var talking = await NatsCluster.ListenAsync(cluster.Hosts[0], talker, room.Id);
        var epoch = (await room.RequestOkAsync(talker))["epoch"]!.GetValue<long>();
        for (var seq = 0; seq < 20; seq++) await talking.SendFrameAsync(room.Id, epoch, (uint)seq, Payload(seq));
        Assert.Equal(20, (await listener.FramesAsync(20, TimeSpan.FromSeconds(30))).Count);
        await using (var probe = new NatsConnection(new NatsOpts { Url = cluster.Nats.Url })) await probe.PingAsync(); // what was sent has arrived
        await watcher.PingAsync();
        lock (seen) Assert.Empty(seen);
        Assert.Equal(0, NatsCluster.Bus(cluster.Hosts[0]).Published);

        // The same frames with a second process on the database do go out, and the watcher sees them: it can see.
        await cluster.AddHostAsync();
        for (var seq = 20; seq < 40; seq++) await talking.SendFrameAsync(room.Id, epoch, (uint)seq, Payload(seq));
        Assert.Equal(20, (await listener.FramesAsync(20, TimeSpan.FromSeconds(30))).Count);
        var subjects = await EventuallyAsync(() => { lock (seen) return Task.FromResult(seen.ToList()); }, s => s.Count >= 20,
            TimeSpan.FromSeconds(30), "the watcher sees the frames once a second process is there");
        Assert.All(subjects.Value, s => Assert.Equal(Server.Walkie.Stream.Bus.NatsAudio.Subject(room.Id), s));
        stop.Cancel();
        await watching;
    }

    [Fact]
    public async Task audio_resumes_after_nats_restarts_mid_burst()
    {
        await using var cluster = await NatsCluster.StartAsync(fixture, processes: 2);
        var (room, talker, listeners) = await cluster.RoomAsync(listeners: 1);
        await using var listener = await NatsCluster.ListenAsync(cluster.Hosts[1], listeners[0], room.Id);
        await using var talking = await NatsCluster.ListenAsync(cluster.Hosts[0], talker, room.Id);
        var epoch = (await room.RequestOkAsync(talker))["epoch"]!.GetValue<long>();

        var sent = 0;
        using var stop = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            for (var seq = 0; !stop.IsCancellationRequested; seq++)
            {
                await talking.SendFrameAsync(room.Id, epoch, (uint)seq, Payload(seq));
                Volatile.Write(ref sent, seq + 1);
                await Task.Delay(20);
            }
        });
        var before = await listener.FramesAsync(10, TimeSpan.FromSeconds(30));
        Assert.Equal(10, before.Count);

        await cluster.Nats.RestartAsync(down: TimeSpan.FromSeconds(1));
        var sentAtRestart = Volatile.Read(ref sent);
        // Frames sent after NATS is back reach the other process again.
        var (resumed, _) = await EventuallyAsync(async () => await listener.FramesAsync(1, TimeSpan.FromSeconds(1)),
            heard => heard.Any(f => f.Header.Seq > sentAtRestart), TimeSpan.FromSeconds(60), "frames after the restart reach the listener");
        stop.Cancel();
        await sending;

        Assert.All(resumed, f => Assert.Equal((uint)epoch, f.Header.Epoch));
        // Nothing crashed: both processes still answer, and the floor is still the talker's.
        foreach (var host in cluster.Hosts)
        {
            using var http = host.CreateClient();
            (await http.GetAsync("/_matrix/client/versions")).EnsureSuccessStatusCode();
        }
        var floor = await room.FloorAsync(listeners[0]);
        Assert.Equal(talker.DeviceId, Holder(floor));
        Assert.Equal(epoch, Epoch(floor));
    }
}
