using WalkieTalkie.Audio;

namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>
/// A burst as an Ogg Opus file (RFC 7845): relayed frames in arrival order, placed by their seq, missing ones filled
/// with loss frames so the file plays through for the burst's whole length.
/// </summary>
/// <param name="DurationMs">Packets × 20 ms: the burst's length, what <c>info.duration</c> says.</param>
/// <param name="PlayableMs">(final granule − pre-skip) / 48: what a player plays, 6.5 ms (the pre-skip) shorter.</param>
/// <param name="Waveform">MSC1767 waveform of the decoded file, ~100 values in 0..1024.</param>
public sealed record OggRecording(byte[] Bytes, long Packets, long LossPackets, long DurationMs, long PlayableMs, int[] Waveform)
{
    public const string MimeType = "audio/ogg";

    public static OggRecording Assemble(IEnumerable<RelayedFrame> frames)
    {
        using var output = new MemoryStream();
        var writer = new OggOpusWriter(output);
        foreach (var frame in frames)
            writer.Append(frame.Seq, frame.Payload.Span);
        var summary = writer.Complete();
        var bytes = output.ToArray();

        // Read back strictly (CRCs, granules): what is stored was checked, and the waveform sees the file's own packets.
        var file = OggOpusReader.Read(bytes);
        var waveform = WalkieTalkie.Audio.Waveform.FromOpusPackets(file.Packets.Select(p => (ReadOnlyMemory<byte>)p), file.Head.PreSkip);
        return new OggRecording(bytes, summary.Packets, summary.LossPackets, summary.Packets * OpusVoice.FrameMs, summary.DurationMs, waveform);
    }
}
