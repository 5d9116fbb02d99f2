namespace WalkieTalkie.Server.Walkie.Stream.Bus;

/// <summary>What the other server processes' signals and frames become in this one.</summary>
public interface IRemoteStream
{
    void RelayRemote(string roomId, long epoch, byte[] frame);
    void ApplyFloor(string roomId, DeviceRef? holder, long epoch, bool emergency, long version, IReadOnlyList<StreamDelivery> deliveries);
    void ApplyConsent(string roomId, DeviceRef device, long untilMs);
}

/// <summary>
/// Where the transports (PostgreSQL NOTIFY, NATS) deliver: the relay attaches itself at start-up, so the transports
/// depend on this small dispatcher and not on the relay that depends on them. Before the relay is attached (start-up
/// only) what arrives is dropped.
/// </summary>
public sealed class RemoteStream : IRemoteStream
{
    volatile IRemoteStream? _sink;

    public void Attach(IRemoteStream sink) => _sink = sink;

    public void RelayRemote(string roomId, long epoch, byte[] frame) => _sink?.RelayRemote(roomId, epoch, frame);

    public void ApplyFloor(string roomId, DeviceRef? holder, long epoch, bool emergency, long version, IReadOnlyList<StreamDelivery> deliveries) =>
        _sink?.ApplyFloor(roomId, holder, epoch, emergency, version, deliveries);

    public void ApplyConsent(string roomId, DeviceRef device, long untilMs) => _sink?.ApplyConsent(roomId, device, untilMs);

    /// <summary>Attaches this process's <see cref="StreamHub"/> when the host starts (before the transports start listening).</summary>
    public sealed class HubAttachment(RemoteStream remote, StreamHub hub) : IHostedService, IRemoteStream
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            remote.Attach(this);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void RelayRemote(string roomId, long epoch, byte[] frame) => hub.RelayRemote(roomId, epoch, frame);

        public void ApplyFloor(string roomId, DeviceRef? holder, long epoch, bool emergency, long version, IReadOnlyList<StreamDelivery> deliveries) =>
            hub.ApplyFloor(roomId, holder, epoch, emergency, version, deliveries);

        public void ApplyConsent(string roomId, DeviceRef device, long untilMs) => hub.ApplyConsent(roomId, device, untilMs);
    }
}
