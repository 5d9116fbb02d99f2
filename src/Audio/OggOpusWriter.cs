using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace WalkieTalkie.Audio;

/// <summary>What <see cref="OggOpusWriter.Append(uint, ReadOnlySpan{byte})"/> did with a relayed packet.</summary>
public enum SequencedAppend
{
    /// <summary>The expected next packet (or the first one); written as is.</summary>
    Appended,
    /// <summary>Packets were missing before it: loss frames were written for them, then the packet.</summary>
    FilledGap,
    /// <summary>A duplicate or a packet older than one already written (its slot is concealed already): dropped.</summary>
    DroppedLate,
    /// <summary>The seq jumped by more than <see cref="OggOpusOptions.MaxGapPackets"/>: written without filling, numbering restarts there.</summary>
    Resynchronised,
    /// <summary>The payload was not an Opus packet: a loss frame was written in its place.</summary>
    ReplacedMalformed,
}

/// <summary>Summary of a finished recording.</summary>
public sealed record OggOpusSummary(uint Serial, long Packets, long LossPackets, long FinalGranule, long DurationMs, int Pages);

/// <summary>
/// Writes an Ogg Opus stream (RFC 7845 over RFC 3533 pages) packet by packet, so a recorder can append frames as they
/// are relayed and finish with <see cref="Complete"/>. Missing packets become TOC-only loss frames of 20 ms, so the
/// file plays through with concealment and keeps every packet's 20 ms. Not thread-safe.
/// </summary>
/// <remarks>
/// Granule positions follow RFC 7845 §4: a page's granule is the number of samples decoded up to the end of its last
/// packet, pre-skip samples included (what libopus's opusenc writes). The player drops the first pre-skip samples,
/// so the playable duration is (final granule − pre-skip) / 48 ms = packets × 20 ms − 6.5 ms at the default pre-skip.
/// Adding the pre-skip on top instead describes a stream that starts 312 samples in; opusinfo reads it that way.
/// </remarks>
public sealed class OggOpusWriter
{
    public const string Vendor = "WalkieTalkie";

    private const int PageHeaderSize = 27;
    private const int MaxSegments = 255;
    private const int MaxPacketSize = 255 * (MaxSegments - 1) + 254; // a packet must fit the lacing table of one page
    private const byte FlagBeginOfStream = 0x02;
    private const byte FlagEndOfStream = 0x04;

    private readonly Stream _output;
    private readonly OggOpusOptions _options;
    private readonly byte[] _lacing = new byte[MaxSegments];
    private byte[] _body = new byte[4096];
    private byte[] _page = new byte[PageHeaderSize + MaxSegments + 4096];
    private int _segments;
    private int _bodyLength;
    private int _packetsOnPage;
    private uint _pageSequence;
    private long _samples;
    private byte _lossToc = OpusPacket.DefaultLossToc;
    private uint? _expectedSeq;
    private bool _tagsWritten;

    /// <summary>Starts a stream; the OpusHead page is written immediately.</summary>
    public OggOpusWriter(Stream output, OggOpusOptions? options = null)
    {
        _output = output ?? throw new ArgumentNullException(nameof(output));
        _options = options ?? new OggOpusOptions();
        if (_options.MaxPacketsPerPage is < 1 or > MaxSegments)
            throw new ArgumentOutOfRangeException(nameof(options), $"MaxPacketsPerPage must be 1..{MaxSegments}.");
        if (_options.MaxGapPackets < 0)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxGapPackets must not be negative.");
        foreach (string comment in _options.Comments)
            if (comment.IndexOf('=') < 1)
                throw new ArgumentException($"An Ogg comment is NAME=value; got \"{comment}\".", nameof(options));
        Serial = _options.Serial ?? BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4));

        WriteHeaderPage(BuildOpusHead(_options.PreSkip), FlagBeginOfStream);
    }

    public uint Serial { get; }
    public ushort PreSkip => _options.PreSkip;
    /// <summary>Audio packets written, loss frames included.</summary>
    public long Packets { get; private set; }
    /// <summary>Loss frames written for missing or malformed packets.</summary>
    public long LossPackets { get; private set; }
    /// <summary>Granule position after the last appended packet: every sample decoded so far, pre-skip included.</summary>
    public long GranulePosition => _samples;
    /// <summary>Playable duration in whole ms (rounded down): (granule − pre-skip) / 48.</summary>
    public long DurationMs => Math.Max(0, _samples - _options.PreSkip) / (OpusVoice.SampleRate / 1000);
    public int Pages => (int)_pageSequence;
    public bool IsCompleted { get; private set; }

    /// <summary>Writes a whole recording; empty entries stand for lost packets.</summary>
    public static OggOpusSummary Write(Stream output, IEnumerable<ReadOnlyMemory<byte>> packets, OggOpusOptions? options = null)
    {
        var writer = new OggOpusWriter(output, options);
        foreach (var packet in packets)
            writer.Append(packet.Span);
        return writer.Complete();
    }

    /// <summary>Appends one Opus packet; an empty one stands for a lost packet.</summary>
    /// <exception cref="ArgumentException">The packet is not an Opus packet (the recording is unchanged).</exception>
    public void Append(ReadOnlySpan<byte> packet)
    {
        ThrowIfCompleted();
        if (packet.IsEmpty)
        {
            AppendLoss();
            return;
        }
        if (packet.Length > MaxPacketSize || !OpusPacket.TryGetSampleCount(packet, out int samples))
            throw new ArgumentException($"Not an Opus packet: {packet.Length} bytes, TOC 0x{packet[0]:X2}.", nameof(packet));
        AddPacket(packet, samples);
        _lossToc = OpusPacket.LossToc(packet[0]);
    }

    /// <summary>Appends <paramref name="count"/> 20 ms loss frames (TOC-only packets the decoder conceals).</summary>
    public void AppendLoss(int count = 1)
    {
        ThrowIfCompleted();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ReadOnlySpan<byte> loss = [_lossToc];
        for (int i = 0; i < count; i++)
            AddPacket(loss, OpusVoice.FrameSamples);
        LossPackets += count;
    }

    /// <summary>
    /// Appends a relayed packet by its frame seq: fills gaps with loss frames, drops duplicates and late arrivals,
    /// replaces malformed payloads by a loss frame. The first call sets where the numbering starts.
    /// </summary>
    public SequencedAppend Append(uint seq, ReadOnlySpan<byte> packet)
    {
        ThrowIfCompleted();
        var result = SequencedAppend.Appended;
        if (_expectedSeq is uint expected)
        {
            int delta = unchecked((int)(seq - expected)); // seq is u32 and may wrap
            if (delta < 0)
                return SequencedAppend.DroppedLate;
            if (delta > _options.MaxGapPackets)
            {
                result = SequencedAppend.Resynchronised;
            }
            else if (delta > 0)
            {
                AppendLoss(delta);
                result = SequencedAppend.FilledGap;
            }
        }
        _expectedSeq = unchecked(seq + 1);

        if (packet.IsEmpty || packet.Length > MaxPacketSize || !OpusPacket.TryGetSampleCount(packet, out _))
        {
            AppendLoss();
            return SequencedAppend.ReplacedMalformed;
        }
        Append(packet);
        return result;
    }

    /// <summary>Writes the last page with the end-of-stream flag and flushes; further appends throw.</summary>
    public OggOpusSummary Complete()
    {
        if (!IsCompleted)
        {
            if (_packetsOnPage == 0)
            {
                // No audio at all: the tags page ends the stream.
                WriteTagsPageIfPending(FlagEndOfStream);
            }
            else
            {
                FlushAudioPage(FlagEndOfStream);
            }
            _output.Flush();
            IsCompleted = true;
        }
        return new OggOpusSummary(Serial, Packets, LossPackets, GranulePosition, DurationMs, Pages);
    }

    private void AddPacket(ReadOnlySpan<byte> packet, int samples)
    {
        int lacingValues = packet.Length / 255 + 1;
        if (_packetsOnPage > 0 && (_packetsOnPage >= _options.MaxPacketsPerPage || _segments + lacingValues > MaxSegments))
            FlushAudioPage(0);

        // A packet of n×255 bytes still needs a terminating lacing value below 255: the final 0.
        for (int remaining = packet.Length; ; remaining -= 255)
        {
            _lacing[_segments++] = (byte)Math.Min(remaining, 255);
            if (remaining < 255) break;
        }
        if (_bodyLength + packet.Length > _body.Length)
            Array.Resize(ref _body, Math.Max(_body.Length * 2, _bodyLength + packet.Length));
        packet.CopyTo(_body.AsSpan(_bodyLength));
        _bodyLength += packet.Length;
        _packetsOnPage++;
        _samples += samples;
        Packets++;
    }

    private void FlushAudioPage(byte flags)
    {
        WriteTagsPageIfPending(0);
        // Granule of an audio page = every sample decoded through its last packet, pre-skip samples included (RFC 7845 §4).
        WritePage(flags, GranulePosition, _lacing.AsSpan(0, _segments), _body.AsSpan(0, _bodyLength));
        _segments = 0;
        _bodyLength = 0;
        _packetsOnPage = 0;
    }

    private void WriteTagsPageIfPending(byte flags)
    {
        if (_tagsWritten) return;
        _tagsWritten = true;
        WriteHeaderPage(BuildOpusTags(_options.Comments), flags);
    }

    /// <summary>OpusHead and OpusTags each sit alone on their page with granule 0 (RFC 7845 §3).</summary>
    private void WriteHeaderPage(byte[] packet, byte flags)
    {
        if (packet.Length > MaxPacketSize)
            throw new ArgumentException($"The Ogg header packet has {packet.Length} bytes; at most {MaxPacketSize} fit one page (shorten the comments).");
        var lacing = new byte[packet.Length / 255 + 1];
        for (int i = 0; i < lacing.Length; i++)
            lacing[i] = (byte)Math.Min(packet.Length - i * 255, 255);
        WritePage(flags, 0, lacing, packet);
    }

    private void WritePage(byte flags, long granule, ReadOnlySpan<byte> lacing, ReadOnlySpan<byte> body)
    {
        int length = PageHeaderSize + lacing.Length + body.Length;
        if (_page.Length < length)
            Array.Resize(ref _page, length);
        Span<byte> p = _page.AsSpan(0, length);
        p[..PageHeaderSize].Clear();
        "OggS"u8.CopyTo(p);
        p[4] = 0; // stream structure version
        p[5] = flags;
        BinaryPrimitives.WriteInt64LittleEndian(p[6..], granule);
        BinaryPrimitives.WriteUInt32LittleEndian(p[14..], Serial);
        BinaryPrimitives.WriteUInt32LittleEndian(p[18..], _pageSequence++);
        // p[22..26] stays zero while the checksum is computed over the whole page.
        p[26] = (byte)lacing.Length;
        lacing.CopyTo(p[PageHeaderSize..]);
        body.CopyTo(p[(PageHeaderSize + lacing.Length)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(p[22..], OggCrc.Compute(p));
        _output.Write(p);
    }

    private static byte[] BuildOpusHead(ushort preSkip)
    {
        var head = new byte[19];
        "OpusHead"u8.CopyTo(head);
        head[8] = 1; // version
        head[9] = OpusVoice.Channels;
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(10), preSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), OpusVoice.SampleRate); // input sample rate
        BinaryPrimitives.WriteInt16LittleEndian(head.AsSpan(16), 0); // output gain
        head[18] = 0; // channel mapping family 0: mono/stereo, no table
        return head;
    }

    private static byte[] BuildOpusTags(IReadOnlyList<string> comments)
    {
        using var tags = new MemoryStream();
        tags.Write("OpusTags"u8);
        WriteString(tags, Vendor);
        Span<byte> count = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(count, (uint)comments.Count);
        tags.Write(count);
        foreach (string comment in comments)
            WriteString(tags, comment);
        return tags.ToArray();

        static void WriteString(Stream s, string value)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(value);
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)utf8.Length);
            s.Write(length);
            s.Write(utf8);
        }
    }

    private void ThrowIfCompleted()
    {
        if (IsCompleted)
            throw new InvalidOperationException("The Ogg Opus stream is complete; nothing can be appended.");
    }
}
