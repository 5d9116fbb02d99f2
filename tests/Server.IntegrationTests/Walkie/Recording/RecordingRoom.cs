using Marten;
using WalkieTalkie.Server.Infrastructure;
using WalkieTalkie.Server.Walkie.Stream;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.Recording;

/// <summary>
/// A walkie room created over HTTP with a given <c>recording</c> mode: <see cref="Speaker"/> owns it and consents,
/// <see cref="Listener"/> joined and never consented (like a bridge) and reads /sync. Bursts get a real floor grant and
/// are relayed through every <see cref="IBurstObserver"/> of the real host, as the live stream does.
/// </summary>
public sealed class RecordingRoom
{
    const string TimelineFilter = """{"room":{"timeline":{"limit":200}}}""";

    readonly WalkieHost _host;
    readonly List<JsonObject> _seen = [];
    string _since;

    public WalkieRoom Room { get; }
    public string Id => Room.Id;
    public MatrixTestClient Speaker => Room.Owner;
    public MatrixTestClient Listener { get; }

    RecordingRoom(WalkieHost host, WalkieRoom room, MatrixTestClient listener, string since)
    {
        _host = host;
        Room = room;
        Listener = listener;
        _since = since;
    }

    public static async Task<RecordingRoom> CreateAsync(WalkieHost host, object config, bool encrypted = false)
    {
        var speaker = await MatrixTestClient.RegisterAsync(host);
        var listener = await MatrixTestClient.RegisterAsync(host);
        WalkieRoom room;
        if (!encrypted)
        {
            room = await WalkieRoom.CreateAsync(speaker, config, [listener]);
        }
        else
        {
            // Validation refuses "server" with encryption (either order); initial_state is the one way round it, as a
            // room made elsewhere might be: the recorder must still never record it.
            var roomId = await speaker.CreateRoomAsync(new
            {
                preset = "public_chat",
                power_level_content_override = new { events = new Dictionary<string, int> { [WalkieRoom.MemberType] = 0 } },
                initial_state = new object[]
                {
                    new { type = "m.room.encryption", state_key = "", content = new { algorithm = "m.megolm.v1.aes-sha2" } },
                    new { type = WalkieRoom.ConfigType, state_key = "", content = config },
                },
            });
            room = WalkieRoom.Attach(roomId, speaker);
            await room.JoinAsync(listener);
        }
        await room.ConsentAsync(speaker);
        var sync = await listener.SyncAsync(filter: TimelineFilter);
        return new RecordingRoom(host, room, listener, sync["next_batch"]!.GetValue<string>());
    }

    /// <summary>Another speaker: joins and consents.</summary>
    public async Task<MatrixTestClient> AddSpeakerAsync()
    {
        var speaker = await MatrixTestClient.RegisterAsync(_host);
        await Room.JoinAsync(speaker);
        await Room.ConsentAsync(speaker);
        return speaker;
    }

    /// <summary>
    /// One burst as the relay sees it: <paramref name="speaker"/> is granted the floor, frame i (seq firstSeq + i, at
    /// startedAt + i × 20 ms) is relayed unless it is in <paramref name="drop"/>, the floor is released and the burst ends.
    /// </summary>
    /// <param name="relay">The server process whose relay sees the burst (another process of the same homeserver); default the room's.</param>
    public async Task<BurstSummary> BurstAsync(IReadOnlyList<byte[]> packets, DateTimeOffset startedAt, MatrixTestClient? speaker = null,
        ISet<int>? drop = null, uint firstSeq = 0, WalkieHost? relay = null)
    {
        speaker ??= Speaker;
        var epoch = (await Room.RequestOkAsync(speaker))["epoch"]!.GetValue<long>();
        var device = new DeviceRef(speaker.UserId, speaker.DeviceId);
        var observers = (relay ?? _host).Services.GetServices<IBurstObserver>().ToList();
        Assert.NotEmpty(observers);
        int frames = 0;
        long bytes = 0;
        for (int i = 0; i < packets.Count; i++)
        {
            if (drop?.Contains(i) == true) continue;
            foreach (var observer in observers)
                observer.FrameRelayed(Id, epoch, device, unchecked(firstSeq + (uint)i), packets[i], startedAt.AddMilliseconds(20 * i));
            frames++;
            bytes += packets[i].Length;
        }
        await (await Room.ReleaseAsync(speaker, epoch)).EnsureMatrixSuccess();
        var burst = new BurstSummary(Id, epoch, device, startedAt, startedAt.AddMilliseconds(20 * packets.Count), frames, bytes, "released");
        foreach (var observer in observers) observer.BurstEnded(burst);
        return burst;
    }

    /// <summary>Every timeline event the listener has seen in this room so far (read from incremental /sync).</summary>
    public IReadOnlyList<JsonObject> Seen => _seen;

    /// <summary>Syncs as the listener until an event matching <paramref name="match"/> has arrived.</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> match, string what, TimeSpan? timeout = null)
    {
        var (found, _) = await WalkieRoom.EventuallyAsync(async () =>
        {
            await SyncAsync(timeoutMs: 1000);
            return _seen.FirstOrDefault(match);
        }, e => e is not null, timeout ?? TimeSpan.FromSeconds(30), what);
        return found!;
    }

    /// <summary>One incremental /sync as the listener; what arrived is added to <see cref="Seen"/>.</summary>
    public async Task SyncAsync(int timeoutMs = 0)
    {
        var sync = await Listener.SyncAsync(_since, timeoutMs, TimelineFilter);
        _since = sync["next_batch"]!.GetValue<string>();
        Assert.NotEqual(true, sync["rooms"]?["join"]?[Id]?["timeline"]?["limited"]?.GetValue<bool>());
        _seen.AddRange(sync.TimelineOf(Id));
    }

    public Task<JsonObject> VoiceMessageAsync(long epoch) =>
        WaitForAsync(e => IsVoiceMessage(e) && e["content"]!["org.matrix.msc4002.burst"]?["epoch"]?.GetValue<long>() == epoch,
            $"voice message of epoch {epoch} in /sync");

    public static bool IsVoiceMessage(JsonObject e) =>
        e["type"]?.GetValue<string>() == "m.room.message" && e["content"]?["msgtype"]?.GetValue<string>() == "m.audio";

    public static bool IsRecorderEvent(JsonObject e) =>
        e["type"]?.GetValue<string>() == "m.room.message" && e["content"]?["msgtype"]?.GetValue<string>() is "m.audio" or "m.notice";

    public async Task<JsonObject> EventAsync(string eventId) =>
        await Listener.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(Id)}/event/{Uri.EscapeDataString(eventId)}");

    /// <summary>Downloads media as the listener over the authenticated client media API.</summary>
    public async Task<(byte[] Bytes, string? ContentType)> DownloadAsync(string mxc)
    {
        var parts = new Uri(mxc);
        var response = await Listener.Http.GetAsync($"/_matrix/client/v1/media/download/{parts.Host}{parts.AbsolutePath}");
        Assert.True(response.IsSuccessStatusCode, $"download of {mxc}: {(int)response.StatusCode}");
        return (await response.Content.ReadAsByteArrayAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>The room's burst audit stream.</summary>
    public async Task<IReadOnlyList<object>> BurstStreamAsync()
    {
        await using var session = _host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var events = await session.Events.FetchStreamAsync($"bursts:{Id}");
        return events.Select(e => e.Data).ToList();
    }
}
