using System.Threading.Channels;
using Npgsql;
using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Walkie.Stream.Bus;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>
/// Live-stream signals between server processes on one database: floor changes (with the control messages they cause)
/// and consent changes by PostgreSQL NOTIFY, and relayed audio frames (so a listener on another process hears the
/// talker, and that process's end-of-media timer sees the frames) on NATS when <c>ConnectionStrings:nats</c> is set,
/// else by NOTIFY as before. Audio goes out only while another process is there (<see cref="PeerPresence"/>): a single
/// process sends none. Sent from bounded queues off the relay path: when the transport lags, the oldest audio goes first.
/// </summary>
public sealed class StreamSignals(NpgsqlDataSource dataSource, RemoteStream remote, PeerPresence presence, IEnumerable<NatsAudio> nats,
    ILogger<StreamSignals> logger) : BackgroundService
{
    public const string FloorChannel = "walkie_stream";
    public const string AudioChannel = "walkie_audio";

    readonly string _instance = presence.Instance;
    readonly NatsAudio? _nats = nats.FirstOrDefault();
    readonly Channel<(string Channel, string Payload)> _outgoing = Channel.CreateBounded<(string, string)>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    long _audioNotified;

    /// <summary>Frames this process sent to others by NOTIFY (the fallback without NATS).</summary>
    public long AudioNotified => Interlocked.Read(ref _audioNotified);

    public void PublishFloor(string roomId, DeviceRef? holder, long epoch, bool emergency, long version, IReadOnlyList<StreamDelivery> deliveries) =>
        Enqueue(FloorChannel, new JsonObject
        {
            ["kind"] = "floor", ["instance"] = _instance, ["room"] = roomId, ["epoch"] = epoch, ["version"] = version,
            ["holder"] = Device(holder), ["emergency"] = emergency,
            ["deliveries"] = new JsonArray(deliveries.Select(d => (JsonNode)new JsonObject
            {
                ["to"] = Device(d.To),
                ["except"] = Device(d.Except),
                ["message"] = JsonNode.Parse(d.Utf8),
            }).ToArray()),
        });

    public void PublishConsent(string roomId, DeviceRef device, long untilMs) =>
        Enqueue(FloorChannel, new JsonObject
        {
            ["kind"] = "consent", ["instance"] = _instance, ["room"] = roomId, ["device"] = Device(device), ["until"] = untilMs,
        });

    public void PublishAudio(string roomId, long epoch, ReadOnlySpan<byte> frame)
    {
        if (!presence.HasPeers) return; // alone on the database: nobody to hear it, no timer elsewhere to feed
        if (_nats is not null) _nats.Publish(roomId, epoch, frame);
        else if (_outgoing.Writer.TryWrite((AudioChannel, $"{_instance}|{epoch}|{roomId}|{Convert.ToBase64String(frame)}")))
            Interlocked.Increment(ref _audioNotified);
    }

    void Enqueue(string channel, JsonObject message) => _outgoing.Writer.TryWrite((channel, message.ToJsonString()));

    /// <summary>NOTIFY from any process (ours included: ignored by instance).</summary>
    public void Receive(string channel, string payload)
    {
        if (channel == AudioChannel)
        {
            var parts = payload.Split('|', 4);
            if (parts.Length != 4 || parts[0] == _instance || !long.TryParse(parts[1], out var epoch)) return;
            remote.RelayRemote(parts[2], epoch, Convert.FromBase64String(parts[3]));
            return;
        }
        if (JsonNode.Parse(payload) is not JsonObject message || message["instance"]?.GetValue<string>() == _instance) return;
        var kind = message["kind"]?.GetValue<string>();
        if (kind == "hello")
        {
            presence.CountSoon();
            return;
        }
        var roomId = message["room"]!.GetValue<string>();
        if (kind == "consent")
        {
            remote.ApplyConsent(roomId, Device(message["device"])!, message["until"]!.GetValue<long>());
            return;
        }
        var deliveries = message["deliveries"]!.AsArray().Select(d => new StreamDelivery(roomId, Device(d!["to"]), Device(d["except"]),
            ControlJson.ParseServer(d["message"]!.ToJsonString()))).ToList();
        remote.ApplyFloor(roomId, Device(message["holder"]), message["epoch"]!.GetValue<long>(), message["emergency"]?.GetValue<bool>() ?? false,
            message["version"]!.GetValue<long>(), deliveries);
    }

    static JsonNode? Device(DeviceRef? device) =>
        device is null ? null : JsonSerializer.SerializeToNode(StreamMessages.Wire(device), ControlJson.Options);

    static DeviceRef? Device(JsonNode? node) =>
        node is JsonObject o ? StreamMessages.Domain(o.Deserialize<WalkieTalkie.Protocol.DeviceRef>(ControlJson.Options)) : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (channel, payload) in _outgoing.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await using var command = dataSource.CreateCommand("select pg_notify(@c, @p)");
                command.Parameters.AddWithValue("c", channel);
                command.Parameters.AddWithValue("p", payload);
                await command.ExecuteNonQueryAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not signal the other server processes on {Channel}", channel);
            }
        }
    }

    /// <summary>The two LISTEN channels, wired to <see cref="Receive"/>.</summary>
    public sealed class Listener(StreamSignals signals, string channel) : IPostgresNotificationHandler
    {
        public string Channel { get; } = channel;
        public void Handle(string payload) => signals.Receive(Channel, payload);
    }
}
