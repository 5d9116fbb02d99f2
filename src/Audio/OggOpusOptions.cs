namespace WalkieTalkie.Audio;

/// <summary>How <see cref="OggOpusWriter"/> lays out a recording.</summary>
public sealed record OggOpusOptions
{
    /// <summary>Samples the player drops at the start; the encoder's lookahead (312 for libopus and Concentus at 48 kHz) unless the sender declares another.</summary>
    public ushort PreSkip { get; init; } = OpusVoice.EncoderLookahead;

    /// <summary>Ogg logical stream serial; null picks a random one per file (RFC 3533 wants serials unlikely to collide).</summary>
    public uint? Serial { get; init; }

    /// <summary>Vorbis-style user comments, each <c>NAME=value</c>, written to OpusTags after the vendor string.</summary>
    public IReadOnlyList<string> Comments { get; init; } = [];

    /// <summary>Packets per audio page: 50 × 20 ms = one second, a few KB at voice bitrates.</summary>
    public int MaxPacketsPerPage { get; init; } = 50;

    /// <summary>
    /// Sequenced appends fill at most this many missing packets with loss frames; a larger jump in seq is taken as a
    /// restart of the numbering (so one bogus seq cannot bloat a recording). Default 30 s.
    /// </summary>
    public int MaxGapPackets { get; init; } = 1500;
}
