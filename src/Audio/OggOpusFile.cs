namespace WalkieTalkie.Audio;

/// <summary>The identification header of an Ogg Opus stream (RFC 7845 §5.1).</summary>
public sealed record OpusHead(byte Version, byte ChannelCount, ushort PreSkip, uint InputSampleRate, short OutputGain, byte MappingFamily);

/// <summary>The comment header of an Ogg Opus stream (RFC 7845 §5.2).</summary>
public sealed record OpusTags(string Vendor, IReadOnlyList<string> Comments);

[Flags]
public enum OggPageFlags : byte
{
    None = 0,
    Continued = 0x01,
    BeginOfStream = 0x02,
    EndOfStream = 0x04,
}

/// <summary>One Ogg page as read; <see cref="SamplesThroughPage"/> is the audio duration of every packet completed so far, from the TOC bytes.</summary>
public sealed record OggPage(uint Sequence, uint Serial, OggPageFlags Flags, long GranulePosition, int Segments, int BodyLength, int PacketsCompleted, long SamplesThroughPage);

/// <summary>A parsed Ogg Opus file: headers, audio packets in order, and the pages they came in.</summary>
public sealed record OggOpusFile(OpusHead Head, OpusTags Tags, IReadOnlyList<byte[]> Packets, IReadOnlyList<OggPage> Pages)
{
    public uint Serial => Pages[0].Serial;

    public long FinalGranule => Pages[^1].GranulePosition;

    /// <summary>Playable duration in whole ms (rounded down): (final granule − pre-skip) / 48.</summary>
    public long DurationMs => Math.Max(0, FinalGranule - Head.PreSkip) / (OpusVoice.SampleRate / 1000);
}
