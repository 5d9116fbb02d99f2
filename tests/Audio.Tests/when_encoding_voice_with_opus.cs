namespace WalkieTalkie.Audio.Tests;

public class when_encoding_voice_with_opus
{
    [Fact]
    public void encoder_is_configured_for_voice_at_24_kbit()
    {
        using var encoder = new OpusVoiceEncoder();

        Assert.Equal(24000, encoder.Bitrate);
        Assert.Equal(OpusVoice.EncoderLookahead, encoder.Lookahead); // the Ogg pre-skip default relies on it
    }

    [Fact]
    public void speech_encodes_near_the_target_bitrate_in_20_ms_packets()
    {
        var speech = SpeechSample.Get();
        using var encoder = new OpusVoiceEncoder();

        var packets = encoder.EncodeAll(speech.Pcm);

        Assert.Equal((speech.Pcm.Length + 959) / 960, packets.Count);
        Assert.All(packets, p => Assert.True(OpusPacket.TryGetSampleCount(p, out int n) && n == 960, $"packet of {p.Length} bytes is not 20 ms"));
        double kbps = packets.Sum(p => p.Length) * 8.0 / (packets.Count * 0.020) / 1000;
        Assert.InRange(kbps, 12, 32);
    }

    [Fact]
    public void a_frame_must_be_exactly_960_samples()
    {
        using var encoder = new OpusVoiceEncoder();

        Assert.Throws<ArgumentException>(() => encoder.Encode(new short[480]));
        Assert.Throws<ArgumentException>(() => encoder.Encode(new short[961]));
    }

    [Fact]
    public void a_tone_survives_encode_and_decode()
    {
        short[] tone = AudioSignal.Sine(48000, 440, 10000);
        using var encoder = new OpusVoiceEncoder();
        using var decoder = new OpusVoiceDecoder();

        var packets = encoder.EncodeAll(tone);
        short[] decoded = decoder.DecodeAll(packets.Select(p => (ReadOnlyMemory<byte>)p), out int concealed);

        Assert.Equal(0, concealed);
        Assert.Equal(48000, decoded.Length);
        // Compare the steady part, shifted by the codec delay.
        double sourceRms = AudioSignal.RmsEnvelope(tone.AsSpan(9600, 28800), 28800)[0];
        double decodedRms = AudioSignal.RmsEnvelope(decoded.AsSpan(9600 + OpusVoice.EncoderLookahead, 28800), 28800)[0];
        Assert.InRange(decodedRms / sourceRms, 0.8, 1.2);
    }

    [Fact]
    public void lost_packets_are_concealed_for_20_ms_each()
    {
        short[] tone = AudioSignal.Sine(9600, 300, 8000);
        using var encoder = new OpusVoiceEncoder();
        using var decoder = new OpusVoiceDecoder();
        var pcm = new short[OpusPacket.MaxSamplesPerPacket];

        foreach (var packet in encoder.EncodeAll(tone))
            Assert.Equal(960, decoder.Decode(packet, pcm));
        Assert.Equal(960, decoder.Decode(ReadOnlySpan<byte>.Empty, pcm));
        Assert.Equal(960, decoder.DecodeLoss(pcm));
        // Concealment continues the tone rather than dropping to silence.
        Assert.True(AudioSignal.RmsEnvelope(pcm.AsSpan(0, 960))[0] > 500);
    }

    [Fact]
    public void a_toc_only_packet_is_concealed_even_mid_stream()
    {
        // Concentus 2.2.2 itself throws on a 1-byte packet once it has decoded audio; libopus conceals it.
        using var encoder = new OpusVoiceEncoder();
        using var decoder = new OpusVoiceDecoder();
        var pcm = new short[OpusPacket.MaxSamplesPerPacket];
        var packets = encoder.EncodeAll(AudioSignal.Sine(9600, 300, 8000));
        foreach (var packet in packets)
            decoder.Decode(packet, pcm);

        Assert.Equal(960, decoder.Decode([OpusPacket.LossToc(packets[^1][0])], pcm));
        Assert.Equal(960, decoder.Decode(packets[0], pcm)); // and decoding carries on
    }

    [Fact]
    public void garbage_is_reported_as_invalid_data_and_concealed_in_bulk_decoding()
    {
        using var decoder = new OpusVoiceDecoder();
        var pcm = new short[OpusPacket.MaxSamplesPerPacket];

        Assert.Throws<InvalidDataException>(() => decoder.Decode([0x7B], pcm));
        short[] all = decoder.DecodeAll([new byte[] { 0x7B }, ReadOnlyMemory<byte>.Empty], out int concealed);
        Assert.Equal(1, concealed);
        Assert.Equal(1920, all.Length);
    }

    [Theory]
    [InlineData(0x78, 0x78)] // hybrid FB 20 ms stays
    [InlineData(0x7B, 0x78)] // code bits cleared: one zero-length frame
    [InlineData(0x70, 0x78)] // hybrid FB 10 ms → 20 ms
    [InlineData(0x00, 0x08)] // SILK NB 10 ms → 20 ms
    [InlineData(0x58, 0x48)] // SILK WB 60 ms → 20 ms
    [InlineData(0xE4, 0xFC)] // CELT FB 2.5 ms stereo → 20 ms stereo
    public void loss_toc_keeps_mode_and_bandwidth_at_20_ms(int previous, int expected)
    {
        byte toc = OpusPacket.LossToc((byte)previous);

        Assert.Equal((byte)expected, toc);
        Assert.True(OpusPacket.TryGetSampleCount([toc], out int samples));
        Assert.Equal(960, samples);
    }
}
