namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// A room's floor after its stream's latest event (Marten document, id = <see cref="FloorStream.Id"/>), written in the
/// same transaction as the events. <see cref="Version"/> is the stream version the next writer expects: a writer that
/// decided on an older snapshot loses the append (optimistic concurrency) and decides again.
/// </summary>
public sealed class FloorSnapshot
{
    public string Id { get; set; } = "";
    public string RoomId { get; set; } = "";
    public long Version { get; set; }
    public long Epoch { get; set; }
    public DeviceRef? Holder { get; set; }
    public DateTimeOffset? GrantedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public TimeSpan? EndOfMedia { get; set; }
    public bool Emergency { get; set; }
    public List<FloorQueueEntry> Queue { get; set; } = [];
    /// <summary>The server whose decision this is (null: this server); another server's when copied from its floor EDU.</summary>
    public string? Host { get; set; }
    /// <summary>The floor host's own stream version of the copied decision (orders its EDUs).</summary>
    public long HostVersion { get; set; }

    public FloorState ToFloor() => Holder is null
        ? new FloorState.Idle(Epoch)
        : new FloorState.Taken(Holder, Epoch, GrantedAt!.Value, ExpiresAt!.Value, EndOfMedia!.Value, [.. Queue], Emergency);

    public static FloorSnapshot From(string roomId, FloorState floor, long version) => floor switch
    {
        FloorState.Idle idle => new() { Id = FloorStream.Id(roomId), RoomId = roomId, Version = version, Epoch = idle.Epoch },
        FloorState.Taken t => new()
        {
            Id = FloorStream.Id(roomId), RoomId = roomId, Version = version, Epoch = t.Epoch, Holder = t.Holder,
            GrantedAt = t.GrantedAt, ExpiresAt = t.ExpiresAt, EndOfMedia = t.EndOfMedia, Emergency = t.Emergency, Queue = [.. t.Queue],
        },
        _ => throw new InvalidOperationException($"A decision must not end in {floor}."),
    };

    public static FloorState FloorOf(FloorSnapshot? snapshot) => snapshot?.ToFloor() ?? FloorState.Initial;
}
