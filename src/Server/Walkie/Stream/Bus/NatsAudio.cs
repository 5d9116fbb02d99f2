using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;
using System.Threading.Channels;
using NATS.Client.Core;

namespace WalkieTalkie.Server.Walkie.Stream.Bus;

/// <summary>
/// Relayed audio between server processes on NATS (<c>ConnectionStrings:nats</c>): one subject per room,
/// <c>walkie.audio.{base64url(room id)}</c>, binary payload = 8-byte big-endian epoch + the frame as the talker sent it.
/// Every process subscribes to all rooms (see <see cref="PeerPresence"/> for why); the connection does not echo a
/// process's own frames back. Sent from a bounded queue off the relay path: while NATS is away the oldest audio goes.
/// </summary>
public sealed class NatsAudio(string url, string instance, RemoteStream remote, ILogger<NatsAudio> logger) : BackgroundService
{
    public const string SubjectPrefix = "walkie.audio.";
    /// <summary>About a second of one talker's audio: older frames are worthless to a listener anyway.</summary>
    const int QueueFrames = 64;

    readonly Channel<(string Subject, byte[] Payload)> _outgoing = Channel.CreateBounded<(string, byte[])>(
        new BoundedChannelOptions(QueueFrames) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    readonly NatsConnection _nats = new(new NatsOpts
    {
        Url = url, Name = $"walkie-server/{instance}", Echo = false, RetryOnInitialConnect = true, MaxReconnectRetry = -1,
        ReconnectWaitMin = TimeSpan.FromMilliseconds(200), ReconnectWaitMax = TimeSpan.FromSeconds(2),
    });
    long _published, _received;

    public long Published => Interlocked.Read(ref _published);
    public long Received => Interlocked.Read(ref _received);
    public NatsConnectionState State => _nats.ConnectionState;

    public static string Subject(string roomId) => SubjectPrefix + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(roomId));

    public void Publish(string roomId, long epoch, ReadOnlySpan<byte> frame)
    {
        var payload = new byte[8 + frame.Length];
        BinaryPrimitives.WriteInt64BigEndian(payload, epoch);
        frame.CopyTo(payload.AsSpan(8));
        _outgoing.Writer.TryWrite((Subject(roomId), payload));
    }

    /// <summary>Subscribed before the host serves, when NATS answers within a few seconds; otherwise it keeps trying.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds(5));
            await _nats.ConnectAsync().AsTask().WaitAsync(wait.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or NatsException or TimeoutException)
        {
            logger.LogWarning(e, "NATS at {Url} does not answer yet; audio to other processes waits for it", url);
        }
        await base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(SendAsync(stoppingToken), ReceiveAsync(stoppingToken));

    async Task SendAsync(CancellationToken ct)
    {
        await foreach (var (subject, payload) in _outgoing.Reader.ReadAllAsync(ct))
        {
            try
            {
                await _nats.PublishAsync(subject, payload, cancellationToken: ct);
                Interlocked.Increment(ref _published);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogDebug(e, "Could not publish a frame on {Subject}", subject);
            }
        }
    }

    async Task ReceiveAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var message in _nats.SubscribeAsync<byte[]>(SubjectPrefix + ">", cancellationToken: ct))
                {
                    if (message.Data is not { Length: > 8 } data || !TryRoom(message.Subject, out var roomId)) continue;
                    Interlocked.Increment(ref _received);
                    remote.RelayRemote(roomId, BinaryPrimitives.ReadInt64BigEndian(data), data[8..]);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogWarning(e, "The NATS audio subscription failed; subscribing again");
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    static bool TryRoom(string subject, out string roomId)
    {
        roomId = "";
        if (!subject.StartsWith(SubjectPrefix, StringComparison.Ordinal)) return false;
        var token = subject.AsSpan(SubjectPrefix.Length);
        var bytes = new byte[Base64Url.GetMaxDecodedLength(token.Length)];
        if (Base64Url.DecodeFromChars(token, bytes, out _, out var written) != System.Buffers.OperationStatus.Done) return false;
        roomId = Encoding.UTF8.GetString(bytes, 0, written);
        return true;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _nats.DisposeAsync();
    }
}
