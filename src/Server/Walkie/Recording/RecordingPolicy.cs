using WalkieTalkie.Server.Walkie.Config;

namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>What the recorder needs of a room's configuration: whether the server records, and for how long a burst may run.</summary>
public sealed record RoomRecording(bool ServerRecords, long MaxTalkMs, long SessionGapMs)
{
    public static RoomRecording Off { get; } = new(false, WalkieConfig.Default.MaxTalkMs, WalkieConfig.Default.SessionGapMs);

    /// <summary>Only <c>recording: "server"</c> in an enabled, unencrypted room: the server never records what it cannot read.</summary>
    public static RoomRecording Of(RoomState? room) =>
        room is not null && WalkieConfig.Of(room) is { } config
            ? new(config.EffectiveRecording(room.IsEncrypted) == RecordingMode.Server && !room.IsEncrypted, config.MaxTalkMs, config.SessionGapMs)
            : Off;
}

/// <summary>
/// Per-room cache of <see cref="RoomRecording"/>, refreshed from the room's state at the start of every burst (off the
/// relay path). The worker checks the state again before it posts, so a stale entry can cost memory, never a wrong post.
/// </summary>
public sealed class RecordingPolicy(IDocumentStore store)
{
    readonly ConcurrentDictionary<string, RoomRecording> _rooms = new();

    public RoomRecording? Known(string roomId) => _rooms.GetValueOrDefault(roomId);

    public async Task<RoomRecording> RefreshAsync(string roomId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var recording = RoomRecording.Of(await session.LoadAsync<RoomState>(roomId, ct));
        _rooms[roomId] = recording;
        return recording;
    }
}
