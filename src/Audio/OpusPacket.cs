namespace WalkieTalkie.Audio;

/// <summary>
/// Reads what the TOC byte of an Opus packet (RFC 6716 §3.1) says about its duration, and builds the
/// one-byte loss packet that recordings use for missing frames.
/// </summary>
public static class OpusPacket
{
    /// <summary>The longest duration one Opus packet may carry: 120 ms at 48 kHz.</summary>
    public const int MaxSamplesPerPacket = 5760;

    /// <summary>Hybrid, full band, 20 ms, mono, one frame: what <see cref="OpusVoiceEncoder"/> emits for speech.</summary>
    public const byte DefaultLossToc = (15 << 3) | 0;

    /// <summary>Samples per channel at 48 kHz of one frame of a TOC configuration (0..31).</summary>
    public static int SamplesPerFrame(byte toc)
    {
        int config = toc >> 3;
        if (config < 12) return (config & 3) switch { 0 => 480, 1 => 960, 2 => 1920, _ => 2880 }; // SILK: 10, 20, 40, 60 ms
        if (config < 16) return (config & 1) == 0 ? 480 : 960; // Hybrid: 10, 20 ms
        return 120 << (config & 3); // CELT: 2.5, 5, 10, 20 ms
    }

    /// <summary>Duration in 48 kHz samples, or false when the packet is empty or its frame count is malformed.</summary>
    public static bool TryGetSampleCount(ReadOnlySpan<byte> packet, out int samples)
    {
        samples = 0;
        if (packet.IsEmpty)
            return false;
        int frames;
        switch (packet[0] & 3)
        {
            case 0: frames = 1; break;
            case 1:
                if ((packet.Length - 1) % 2 != 0) return false; // two equal-size frames
                frames = 2;
                break;
            case 2:
                if (packet.Length < 2) return false; // the first frame's length byte is missing
                frames = 2;
                break;
            default:
                if (packet.Length < 2) return false; // the frame-count byte is missing
                frames = packet[1] & 0x3F;
                if (frames == 0) return false;
                break;
        }
        samples = frames * SamplesPerFrame(packet[0]);
        return samples <= MaxSamplesPerPacket;
    }

    /// <summary>
    /// A TOC-only packet (code 0, zero-length frame) lasting 20 ms in the same mode and bandwidth as
    /// <paramref name="previousToc"/>; libopus and <see cref="OpusVoiceDecoder"/> conceal it as a lost frame.
    /// </summary>
    public static byte LossToc(byte previousToc)
    {
        int config = previousToc >> 3;
        int config20 = config switch
        {
            < 12 => (config / 4) * 4 + 1,           // SILK NB/MB/WB: 10, 20, 40, 60 ms
            < 16 => 12 + ((config - 12) / 2) * 2 + 1, // Hybrid SWB/FB: 10, 20 ms
            _ => 16 + ((config - 16) / 4) * 4 + 3,    // CELT NB/WB/SWB/FB: 2.5, 5, 10, 20 ms
        };
        return (byte)((config20 << 3) | (previousToc & 0x04));
    }
}
