using System.Buffers.Binary;

namespace WalkieTalkie.Audio.Tests;

public class when_reading_and_writing_wav_files
{
    [Fact]
    public void write_then_read_gives_the_same_samples()
    {
        short[] samples = [0, 1, -1, short.MaxValue, short.MinValue, 12345, -12345];
        var stream = new MemoryStream();

        WavFile.Write(stream, samples);
        byte[] bytes = stream.ToArray();

        Assert.Equal(44 + samples.Length * 2, bytes.Length);
        Assert.Equal(48000u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24)));
        Assert.Equal(samples, WavFile.Read(new MemoryStream(bytes)));
    }

    [Fact]
    public void another_sample_rate_is_refused_with_what_it_is_and_how_to_convert()
    {
        var stream = new MemoryStream();
        WavFile.Write(stream, new short[100], sampleRate: 22050);
        stream.Position = 0;

        var error = Assert.Throws<InvalidDataException>(() => WavFile.Read(stream));

        Assert.Contains("22050 Hz", error.Message);
        Assert.Contains("1 channel(s)", error.Message);
        Assert.Contains("sox", error.Message);
    }

    [Fact]
    public void stereo_and_float_files_are_refused_by_name()
    {
        byte[] stereo = Header(format: 1, channels: 2, rate: 48000, bits: 16);
        byte[] floats = Header(format: 3, channels: 1, rate: 48000, bits: 32);

        Assert.Contains("2 channel(s)", Assert.Throws<InvalidDataException>(() => WavFile.Read(new MemoryStream(stereo))).Message);
        Assert.Contains("IEEE float", Assert.Throws<InvalidDataException>(() => WavFile.Read(new MemoryStream(floats))).Message);
        Assert.Contains("RIFF", Assert.Throws<InvalidDataException>(() => WavFile.Read(new MemoryStream("not a wav file"u8.ToArray()))).Message);
    }

    [Fact]
    public void extra_chunks_and_a_streaming_data_size_are_tolerated()
    {
        var stream = new MemoryStream();
        WavFile.Write(stream, [1, 2, 3]);
        byte[] canonical = stream.ToArray();
        // Insert an odd-sized LIST chunk (with its pad byte) before data, and mark data as "until end of file".
        byte[] list = [.. "LIST"u8, 3, 0, 0, 0, (byte)'a', (byte)'b', (byte)'c', 0];
        byte[] file = [.. canonical[..36], .. list, .. canonical[36..]];
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(36 + list.Length + 4), uint.MaxValue);

        Assert.Equal([1, 2, 3], WavFile.Read(new MemoryStream(file)));
    }

    private static byte[] Header(ushort format, ushort channels, uint rate, ushort bits)
    {
        var h = new byte[48];
        "RIFF"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), 40);
        "WAVE"u8.CopyTo(h.AsSpan(8));
        "fmt "u8.CopyTo(h.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(20), format);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(22), channels);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(24), rate);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(28), rate * channels * bits / 8u);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(32), (ushort)(channels * bits / 8));
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(34), bits);
        "data"u8.CopyTo(h.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(40), 4);
        return h;
    }
}
