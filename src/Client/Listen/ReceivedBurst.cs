using System.Runtime.CompilerServices;

namespace WalkieTalkie.Client.Listen;

/// <summary>What <see cref="ReceivedBurst.Add"/> did with a frame.</summary>
public enum FrameDisposition
{
    Appended,
    /// <summary>Frames were missing before it: each became a 20 ms concealment frame, then it was decoded.</summary>
    FilledGap,
    /// <summary>A duplicate or a frame older than one already played: dropped.</summary>
    DroppedLate,
    /// <summary>The seq jumped further than the gap limit: decoded without filling, counting restarts there.</summary>
    Resynchronised,
    /// <summary>The payload did not decode: concealed in its place.</summary>
    Concealed,
    /// <summary>The frame's epoch is older than the room's current one, or its burst is over: dropped.</summary>
    DroppedStale,
}

/// <summary>
/// One speaker's burst as heard: frames of one (room, epoch), decoded in seq order into 48 kHz mono PCM that grows
/// while it is live. Missing seqs become Opus concealment frames so the timing of the burst is kept. Thread-safe.
/// </summary>
public sealed class ReceivedBurst : IDisposable
{
    private readonly object _gate = new();
    private readonly int _maxGapFrames;
    private readonly List<short> _pcm = [];
    private readonly List<byte[]> _packets = [];
    private readonly short[] _frame = new short[OpusPacket.MaxSamplesPerPacket];
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private OpusVoiceDecoder? _decoder = new();
    private uint _nextSeq;

    public ReceivedBurst(string roomId, long epoch, uint firstSeq, DateTimeOffset startedAt, int maxGapFrames = 50)
    {
        RoomId = roomId;
        Epoch = epoch;
        FirstSeq = firstSeq;
        _nextSeq = firstSeq;
        StartedAt = startedAt;
        LastFrameAt = startedAt;
        _maxGapFrames = maxGapFrames;
    }

    public string RoomId { get; }
    public long Epoch { get; }
    /// <summary>Seq of the first frame heard: above 0 for a late entry, which starts the burst there without filling.</summary>
    public uint FirstSeq { get; }
    public DateTimeOffset StartedAt { get; }
    public DateTimeOffset LastFrameAt { get; private set; }
    /// <summary>Frames decoded as received.</summary>
    public int FramesReceived { get; private set; }
    /// <summary>Concealment frames made for missing or undecodable frames.</summary>
    public int FramesConcealed { get; private set; }
    public int FramesDropped { get; private set; }
    public bool IsComplete { get; private set; }
    /// <summary>Why the burst ended: a <c>floor.idle</c> reason, <c>superseded</c>, <c>silence</c>, ...</summary>
    public string? EndReason { get; private set; }
    public Task Completion => _completed.Task;

    public int SampleCount { get { lock (_gate) return _pcm.Count; } }
    public TimeSpan Duration => TimeSpan.FromMilliseconds(SampleCount / (OpusVoice.SampleRate / 1000.0));

    /// <summary>A copy of everything decoded so far.</summary>
    public short[] GetPcm() { lock (_gate) return [.. _pcm]; }

    /// <summary>The Opus packets in seq order; an empty one stands for a concealed frame.</summary>
    public IReadOnlyList<byte[]> GetPackets() { lock (_gate) return [.. _packets]; }

    /// <summary>Decodes a frame of this burst into its place.</summary>
    public FrameDisposition Add(uint seq, ReadOnlySpan<byte> payload, DateTimeOffset receivedAt)
    {
        lock (_gate)
        {
            if (IsComplete || _decoder is null) { FramesDropped++; return FrameDisposition.DroppedStale; }
            int delta = unchecked((int)(seq - _nextSeq)); // seq is u32 and may wrap
            if (delta < 0) { FramesDropped++; return FrameDisposition.DroppedLate; }

            var disposition = FrameDisposition.Appended;
            if (delta > _maxGapFrames)
            {
                disposition = FrameDisposition.Resynchronised;
            }
            else if (delta > 0)
            {
                for (int i = 0; i < delta; i++)
                    Conceal();
                disposition = FrameDisposition.FilledGap;
            }
            _nextSeq = unchecked(seq + 1);
            LastFrameAt = receivedAt;

            try
            {
                int n = _decoder.Decode(payload, _frame);
                _pcm.AddRange(_frame.AsSpan(0, n));
                _packets.Add(payload.ToArray());
                FramesReceived++;
            }
            catch (InvalidDataException)
            {
                Conceal();
                disposition = FrameDisposition.Concealed;
            }
            Signal();
            return disposition;
        }
    }

    /// <summary>Ends the burst: no more frames, readers finish.</summary>
    public void Complete(string reason)
    {
        lock (_gate)
        {
            if (IsComplete) return;
            IsComplete = true;
            EndReason = reason;
            _decoder?.Dispose();
            _decoder = null;
            Signal();
        }
        _completed.TrySetResult();
    }

    /// <summary>The decoded PCM as it arrives, from the start, until the burst completes: live playback, or a late replay.</summary>
    public async IAsyncEnumerable<ReadOnlyMemory<short>> ReadPcmAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int offset = 0;
        while (true)
        {
            short[]? chunk = null;
            Task changed;
            bool complete;
            lock (_gate)
            {
                if (_pcm.Count > offset)
                {
                    chunk = new short[_pcm.Count - offset];
                    _pcm.CopyTo(offset, chunk, 0, chunk.Length);
                    offset = _pcm.Count;
                }
                changed = _changed.Task;
                complete = IsComplete;
            }
            if (chunk is not null)
            {
                yield return chunk;
                continue;
            }
            if (complete) yield break;
            await changed.WaitAsync(cancellationToken);
        }
    }

    public void WriteWav(string path) => WavFile.Write(path, GetPcm());

    /// <summary>The burst as an Ogg Opus file (concealed frames as loss packets).</summary>
    public byte[] ToOgg()
    {
        using var ogg = new MemoryStream();
        OggOpusWriter.Write(ogg, GetPackets().Select(p => (ReadOnlyMemory<byte>)p));
        return ogg.ToArray();
    }

    public void Dispose() => Complete("disposed");

    private void Conceal()
    {
        int n = _decoder!.DecodeLoss(_frame);
        _pcm.AddRange(_frame.AsSpan(0, n));
        _packets.Add([]);
        FramesConcealed++;
    }

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    public override string ToString() => $"{RoomId} epoch {Epoch}: {FramesReceived} frames, {FramesConcealed} concealed, {Duration.TotalSeconds:0.00} s";
}
