using Concentus;
using Concentus.Enums;

namespace WalkieTalkie.Audio;

/// <summary>The one voice format of MSC4002: Opus, 48 kHz mono, 20 ms frames, VOIP application, ~24 kbit/s.</summary>
public static class OpusVoice
{
    public const int SampleRate = 48000;
    public const int Channels = 1;
    public const int FrameMs = 20;
    public const int FrameSamples = SampleRate / 1000 * FrameMs; // 960
    public const int DefaultBitrate = 24000;
    /// <summary>RFC 6716's upper bound for one packet.</summary>
    public const int MaxPacketSize = 1275;
    /// <summary>Encoder lookahead at 48 kHz (2.5 ms + 4 ms delay compensation); the Ogg pre-skip that aligns decoded audio with the input.</summary>
    public const int EncoderLookahead = 312;
}

/// <summary>Encodes 20 ms PCM16 frames into Opus packets. Not thread-safe: one per speaker.</summary>
public sealed class OpusVoiceEncoder : IDisposable
{
    private readonly IOpusEncoder _encoder;

    public OpusVoiceEncoder(int bitrate = OpusVoice.DefaultBitrate)
    {
        _encoder = OpusCodecFactory.CreateEncoder(OpusVoice.SampleRate, OpusVoice.Channels, OpusApplication.OPUS_APPLICATION_VOIP);
        _encoder.Bitrate = bitrate;
        _encoder.SignalType = OpusSignal.OPUS_SIGNAL_VOICE;
    }

    public int Bitrate => _encoder.Bitrate;

    /// <summary>Samples the decoder output lags the input by; declare it as the Ogg pre-skip.</summary>
    public int Lookahead => _encoder.Lookahead;

    /// <summary>"Concentus x.y.z" for the managed codec; Concentus silently uses a native libopus.so instead when it finds one.</summary>
    public string Implementation => _encoder.GetVersionString();

    /// <summary>Encodes exactly <see cref="OpusVoice.FrameSamples"/> samples into <paramref name="packet"/>; returns the packet length.</summary>
    public int Encode(ReadOnlySpan<short> pcm, Span<byte> packet)
    {
        if (pcm.Length != OpusVoice.FrameSamples)
            throw new ArgumentException($"A voice frame has {OpusVoice.FrameSamples} samples (20 ms at 48 kHz), got {pcm.Length}.", nameof(pcm));
        if (packet.IsEmpty)
            throw new ArgumentException("The packet buffer is empty.", nameof(packet));
        return _encoder.Encode(pcm, OpusVoice.FrameSamples, packet, Math.Min(packet.Length, OpusVoice.MaxPacketSize));
    }

    /// <summary>Encodes one frame into a new array (convenient, allocates; the span overload does not).</summary>
    public byte[] Encode(ReadOnlySpan<short> pcm)
    {
        Span<byte> buffer = stackalloc byte[OpusVoice.MaxPacketSize];
        return buffer[..Encode(pcm, buffer)].ToArray();
    }

    /// <summary>Encodes a whole recording, zero-padding the last frame to 20 ms.</summary>
    public List<byte[]> EncodeAll(ReadOnlySpan<short> pcm)
    {
        var packets = new List<byte[]>(pcm.Length / OpusVoice.FrameSamples + 1);
        Span<short> last = stackalloc short[OpusVoice.FrameSamples];
        for (int offset = 0; offset < pcm.Length; offset += OpusVoice.FrameSamples)
        {
            int n = Math.Min(OpusVoice.FrameSamples, pcm.Length - offset);
            if (n == OpusVoice.FrameSamples)
            {
                packets.Add(Encode(pcm.Slice(offset, n)));
                continue;
            }
            last.Clear();
            pcm.Slice(offset, n).CopyTo(last);
            packets.Add(Encode(last));
        }
        return packets;
    }

    public void Dispose() => _encoder.Dispose();
}

/// <summary>Decodes Opus packets to 48 kHz mono PCM16 with loss concealment. Not thread-safe: one per stream.</summary>
public sealed class OpusVoiceDecoder : IDisposable
{
    private readonly IOpusDecoder _decoder;

    public OpusVoiceDecoder() => _decoder = OpusCodecFactory.CreateDecoder(OpusVoice.SampleRate, OpusVoice.Channels);

    /// <summary>
    /// Decodes one packet into <paramref name="pcm"/> (room for the packet's duration; 5,760 samples always suffice)
    /// and returns the sample count. An empty packet is a lost 20 ms frame; a TOC-only packet is a lost frame of the
    /// TOC's duration, as in libopus.
    /// </summary>
    /// <exception cref="InvalidDataException">The packet is not a decodable Opus packet.</exception>
    public int Decode(ReadOnlySpan<byte> packet, Span<short> pcm)
    {
        if (packet.IsEmpty)
            return Conceal(OpusVoice.FrameSamples, pcm);
        if (!OpusPacket.TryGetSampleCount(packet, out int samples))
            throw new InvalidDataException($"Not an Opus packet: {packet.Length} bytes, TOC 0x{packet[0]:X2}.");
        if (pcm.Length < samples)
            throw new ArgumentException($"The packet lasts {samples} samples; the PCM buffer holds {pcm.Length}.", nameof(pcm));
        // Concentus throws on a TOC-only packet once it has decoded audio, where libopus conceals: do what libopus does.
        if (packet.Length == 1)
            return Conceal(samples, pcm);
        try
        {
            return _decoder.Decode(packet, pcm, Math.Min(pcm.Length, OpusPacket.MaxSamplesPerPacket), false);
        }
        catch (OpusException e)
        {
            throw new InvalidDataException($"Opus could not decode a {packet.Length}-byte packet (TOC 0x{packet[0]:X2}): {e.Message}", e);
        }
    }

    /// <summary>Packet-loss concealment for one missing 20 ms frame.</summary>
    public int DecodeLoss(Span<short> pcm) => Conceal(OpusVoice.FrameSamples, pcm);

    /// <summary>
    /// Decodes a packet sequence (empty entries are lost frames) into one PCM array; undecodable packets are
    /// concealed and counted in <paramref name="concealed"/> so one bad packet cannot spoil a whole recording.
    /// </summary>
    public short[] DecodeAll(IEnumerable<ReadOnlyMemory<byte>> packets, out int concealed)
    {
        concealed = 0;
        var output = new List<short>();
        var frame = new short[OpusPacket.MaxSamplesPerPacket];
        foreach (var packet in packets)
        {
            int n;
            try
            {
                n = Decode(packet.Span, frame);
            }
            catch (InvalidDataException)
            {
                concealed++;
                n = DecodeLoss(frame);
            }
            output.AddRange(frame.AsSpan(0, n));
        }
        return output.ToArray();
    }

    public void Dispose() => _decoder.Dispose();

    private int Conceal(int samples, Span<short> pcm)
    {
        if (pcm.Length < samples)
            throw new ArgumentException($"Concealment needs {samples} samples of room; the PCM buffer holds {pcm.Length}.", nameof(pcm));
        // Opus conceals only whole 10 ms units; a 2.5/5 ms gap is rare enough to fill with silence.
        if (samples % (OpusVoice.SampleRate / 100) != 0)
        {
            pcm[..samples].Clear();
            return samples;
        }
        // PLC must be asked for exactly the missing duration, or the decoder state drifts (Concentus docs).
        return _decoder.Decode(ReadOnlySpan<byte>.Empty, pcm[..samples], samples, false);
    }
}
