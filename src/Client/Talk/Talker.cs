using WalkieTalkie.Client.Live;

namespace WalkieTalkie.Client.Talk;

public sealed record TalkerOptions
{
    public int Bitrate { get; init; } = OpusVoice.DefaultBitrate;

    /// <summary>Also write the burst as Ogg Opus, for rooms whose recordings are made by the speaker's client.</summary>
    public bool Record { get; init; }
}

public enum TalkEnd
{
    /// <summary>The PCM source ran out: the whole burst went out.</summary>
    SourceEnded,
    /// <summary>The stop token fired: the floor was revoked, its time ran out, or the user let go.</summary>
    Stopped,
}

/// <summary>One burst as sent. <see cref="MaxLateness"/> is the worst delay of a frame behind its slot on the timeline.</summary>
public sealed record TalkResult(string RoomId, long Epoch, DateTimeOffset StartedAt, int Frames, TalkEnd End, TimeSpan MaxLateness, BurstRecording? Recording)
{
    public TimeSpan Duration => Talker.FrameDuration * Frames;
}

/// <summary>A burst recorded by its speaker: the Ogg Opus file and what its voice message needs.</summary>
public sealed record BurstRecording(string RoomId, long Epoch, DateTimeOffset StartedAt, byte[] Ogg, int Packets, int[] Waveform)
{
    /// <summary>Packets × 20 ms, as MSC4002 defines a burst's duration.</summary>
    public long DurationMs => Packets * (long)OpusVoice.FrameMs;
}

/// <summary>
/// Sends one burst: encodes 20 ms PCM frames with Opus and hands frame n to the sink at start + n × 20 ms on the
/// <see cref="TimeProvider"/>'s timeline. Each wait is computed from that timeline, not from the previous send, so
/// encode time and slow sends do not add up to drift; a frame that is late goes out at once and the next ones are
/// back on their slots. Seq starts at 0 for every burst.
/// </summary>
public sealed class Talker(IAudioFrameSink sink, TalkerOptions? options = null, TimeProvider? time = null)
{
    public static readonly TimeSpan FrameDuration = TimeSpan.FromMilliseconds(OpusVoice.FrameMs);

    private readonly TalkerOptions _options = options ?? new TalkerOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <param name="stop">Ends the burst early (revocation, max talk time, button released); the result says <see cref="TalkEnd.Stopped"/>.</param>
    /// <param name="cancellationToken">Aborts: throws <see cref="OperationCanceledException"/>.</param>
    public async Task<TalkResult> TalkAsync(string roomId, long epoch, PcmSource source, CancellationToken stop = default,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (epoch is < 0 or > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "A frame's epoch is a u32.");
        using var encoder = new OpusVoiceEncoder(_options.Bitrate);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stop, cancellationToken);
        var pcm = new short[OpusVoice.FrameSamples];
        var packet = new byte[OpusVoice.MaxPacketSize];
        var recorder = _options.Record ? new Recorder(encoder.Lookahead) : null;

        var startedAt = _time.GetUtcNow();
        long start = _time.GetTimestamp();
        var maxLateness = TimeSpan.Zero;
        var end = TalkEnd.SourceEnded;
        uint seq = 0;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (stop.IsCancellationRequested) { end = TalkEnd.Stopped; break; }

                int samples = await ReadFrameAsync(source, pcm, either.Token);
                if (samples == 0) break;
                if (samples < pcm.Length) pcm.AsSpan(samples).Clear(); // the last frame is padded to 20 ms
                int length = encoder.Encode(pcm, packet);

                var due = FrameDuration * seq;
                var elapsed = _time.GetElapsedTime(start);
                if (due > elapsed)
                    await Task.Delay(due - elapsed, _time, either.Token);
                maxLateness = TimeSpan.FromTicks(Math.Max(maxLateness.Ticks, (_time.GetElapsedTime(start) - due).Ticks));

                await sink.SendAudioAsync(roomId, (uint)epoch, seq, packet.AsMemory(0, length), cancellationToken);
                recorder?.Add(packet.AsSpan(0, length), pcm);
                seq++;
                if (samples < pcm.Length) break;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            end = TalkEnd.Stopped;
        }

        var recording = recorder?.Complete(roomId, epoch, startedAt);
        return new TalkResult(roomId, epoch, startedAt, (int)seq, end, maxLateness, recording);
    }

    private static async ValueTask<int> ReadFrameAsync(PcmSource source, short[] frame, CancellationToken cancellationToken)
    {
        int filled = 0;
        while (filled < frame.Length)
        {
            int n = await source.ReadAsync(frame.AsMemory(filled), cancellationToken);
            if (n == 0) break;
            filled += n;
        }
        return filled;
    }

    private sealed class Recorder(int preSkip)
    {
        private readonly MemoryStream _ogg = new();
        private readonly List<short> _pcm = [];
        private OggOpusWriter? _writer;
        private int _packets;

        public void Add(ReadOnlySpan<byte> packet, ReadOnlySpan<short> pcm)
        {
            _writer ??= new OggOpusWriter(_ogg, new OggOpusOptions { PreSkip = (ushort)preSkip });
            _writer.Append(packet);
            _pcm.AddRange(pcm);
            _packets++;
        }

        public BurstRecording? Complete(string roomId, long epoch, DateTimeOffset startedAt)
        {
            if (_writer is null) return null; // nothing was sent: there is no burst to record
            _writer.Complete();
            return new BurstRecording(roomId, epoch, startedAt, _ogg.ToArray(), _packets, Waveform.FromPcm(_pcm.ToArray()));
        }
    }
}
