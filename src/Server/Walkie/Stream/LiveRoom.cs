using WalkieTalkie.Server.Walkie.Stream.Relay;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>Why the relay did not pass a frame on (counted by reason; only some count against the sender).</summary>
public enum FrameDropReason
{
    /// <summary>Not a frame, too large, or on a channel the connection did not subscribe to. Invalid.</summary>
    Malformed,
    /// <summary>From a device that does not hold the floor, or with an epoch that is not the current one. Invalid.</summary>
    NotHolder,
    /// <summary>The sender's own grant just ended while these were in flight (slow link): dropped quietly.</summary>
    LateForEndedGrant,
    /// <summary>More than the per-connection frame rate: dropped, not held against the sender.</summary>
    RateLimited,
    /// <summary>Too many frames waited for the committed floor to be read; the oldest went.</summary>
    HeldTooLong,
}

/// <summary>
/// One room as this process's relay knows it: its channel, its listeners, and who holds its floor with which epoch
/// (learned from the floor change feed, other processes' signals, or the committed snapshot). Mutable state changes
/// under <see cref="Gate"/>; the relay's fast path reads it without the lock.
/// </summary>
sealed class LiveRoom(string roomId, ushort channel, RoomFanout fanout)
{
    public string RoomId { get; } = roomId;
    public ushort Channel { get; } = channel;
    /// <summary>Each listener with its subscription to this room (no dictionary lookup per listener per frame), in lanes.</summary>
    public RoomFanout Fanout { get; } = fanout;
    public DeviceRef? Holder;
    public long Epoch;
    /// <summary>The holder's grant is an emergency one (told to late entrants in <c>floor.taken</c>).</summary>
    public bool Emergency;
    public long Version = -1;
    public readonly Lock Gate = new();

    /// <summary>A frame's epoch is newer than this process knows: the committed floor is being read, and frames of that epoch wait here in order.</summary>
    public volatile EpochCheck? Check;
    /// <summary>The newest epoch already checked against the committed floor (each epoch is read at most once).</summary>
    public long CheckedEpoch;
    /// <summary>Grants that ended lately here: their holders' frames still in flight are dropped quietly, for a while.</summary>
    public readonly List<EndedGrant> Ended = [];

    /// <summary>Under <see cref="Gate"/>: a newer floor version replaces the known holder; the grant it ends is remembered.</summary>
    public void SetFloor(DeviceRef? holder, long epoch, bool emergency, long version, long now)
    {
        if (version <= Version) return;
        if (epoch < Epoch && Anticipated)
        {
            Version = version; // an older decision's copy, after the host's answer told of a newer grant: keep the grant
            return;
        }
        Anticipated = false;
        if (Holder is { } previous && (previous != holder || Epoch != epoch)) RememberEnded(previous, now);
        (Holder, Epoch, Emergency, Version) = (holder, epoch, holder is not null && emergency, version);
    }

    /// <summary>The holder and epoch came from the floor host's answer (<see cref="Anticipate"/>), not yet from a copy of its decision.</summary>
    public bool Anticipated;

    /// <summary>
    /// Under <see cref="Gate"/>: the floor host (another server) answered that <paramref name="holder"/> was granted
    /// <paramref name="epoch"/>. Taken only if newer than what is known; the version stays, so the decision's copy
    /// (the EDU) still applies when it comes.
    /// </summary>
    public void Anticipate(DeviceRef holder, long epoch, bool emergency, long now)
    {
        if (epoch <= Epoch) return;
        if (Holder is { } previous) RememberEnded(previous, now);
        (Holder, Epoch, Emergency, Anticipated) = (holder, epoch, emergency, true);
    }

    /// <summary>The last four ended grants, for their holders' late frames.</summary>
    void RememberEnded(DeviceRef previous, long now)
    {
        if (Ended.Count == 4) Ended.RemoveAt(0);
        Ended.Add(new EndedGrant(previous, Epoch, now));
    }

    /// <summary>Under <see cref="Gate"/>: whether a frame is a late one of the sender's own ended grant, within the grace.</summary>
    public bool IsLateFrame(DeviceRef sender, uint epoch, long now, Func<long, long, TimeSpan> elapsed, StreamOptions options)
    {
        foreach (var ended in Ended)
        {
            if (ended.Holder != sender || (uint)ended.Epoch != epoch) continue;
            if (elapsed(ended.At, now) > options.LateFrameGrace || ended.LateFrames >= options.MaxLateFrames) return false;
            ended.LateFrames++;
            return true;
        }
        return false;
    }
}

/// <summary>A grant that ended (holder, epoch, timestamp) and how many of its late frames were dropped since.</summary>
sealed class EndedGrant(DeviceRef holder, long epoch, long at)
{
    public DeviceRef Holder { get; } = holder;
    public long Epoch { get; } = epoch;
    public long At { get; } = at;
    public int LateFrames;
}

/// <summary>The committed floor of a room is being read because of a frame with <see cref="Epoch"/>; frames of that epoch wait.</summary>
sealed class EpochCheck(long epoch)
{
    public long Epoch { get; } = epoch;
    public readonly Queue<HeldFrame> Frames = new();
}

/// <summary>A frame waiting for the floor check: from a local connection, or (From null) relayed by another process.</summary>
readonly record struct HeldFrame(StreamConnection? From, byte[] Bytes, uint Seq, Range Payload, long Arrived);
