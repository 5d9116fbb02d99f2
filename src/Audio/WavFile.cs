using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace WalkieTalkie.Audio;

/// <summary>
/// PCM16 WAV (RIFF) files. Reading accepts only the voice format, 48 kHz mono 16-bit, and says what it got otherwise.
/// There is no resampler here on purpose: convert other input first, e.g.
/// <c>sox in.wav -r 48000 -c 1 -b 16 out.wav</c> (what the tests do with espeak-ng's 22,050 Hz output).
/// </summary>
public static class WavFile
{
    private const ushort FormatPcm = 1;
    private const ushort FormatExtensible = 0xFFFE;
    private const int PcmHeaderSize = 44;

    public static short[] Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    /// <exception cref="InvalidDataException">Not a RIFF/WAVE file, or not 48 kHz mono 16-bit PCM (the message says what it is).</exception>
    public static short[] Read(Stream stream)
    {
        byte[] file = ReadAll(stream);
        ReadOnlySpan<byte> span = file;
        if (span.Length < 12 || !span[..4].SequenceEqual("RIFF"u8) || !span[8..12].SequenceEqual("WAVE"u8))
            throw new InvalidDataException("Not a WAV file: the RIFF/WAVE signature is missing.");

        (ushort Format, ushort Channels, uint Rate, ushort Bits)? fmt = null;
        int offset = 12;
        while (offset + 8 <= span.Length)
        {
            ReadOnlySpan<byte> id = span.Slice(offset, 4);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 4)..]);
            int body = offset + 8;
            // Streaming writers leave the size at 0xFFFFFFFF (or too large): the chunk runs to the end of the file.
            int available = (int)Math.Min(size, span.Length - body);
            if (id.SequenceEqual("fmt "u8))
            {
                fmt = ParseFormat(span.Slice(body, available));
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (fmt is not { } f)
                    throw new InvalidDataException("WAV data chunk comes before its fmt chunk.");
                if (f.Format != FormatPcm || f.Channels != OpusVoice.Channels || f.Rate != OpusVoice.SampleRate || f.Bits != 16)
                    throw new InvalidDataException(
                        $"WAV is {Describe(f.Format)}, {f.Rate} Hz, {f.Channels} channel(s), {f.Bits}-bit; " +
                        $"WalkieTalkie reads only {OpusVoice.SampleRate} Hz mono 16-bit PCM. " +
                        $"Convert it first, e.g. `sox in.wav -r {OpusVoice.SampleRate} -c 1 -b 16 out.wav`.");
                return ToSamples(span.Slice(body, available & ~1));
            }
            offset = body + available + (available & 1); // chunks are padded to even length
        }
        throw new InvalidDataException(fmt is null ? "WAV has no fmt chunk." : "WAV has no data chunk.");
    }

    public static void Write(string path, ReadOnlySpan<short> samples, int sampleRate = OpusVoice.SampleRate)
    {
        using var stream = File.Create(path);
        Write(stream, samples, sampleRate);
    }

    /// <summary>Writes a canonical 44-byte-header mono PCM16 WAV.</summary>
    public static void Write(Stream stream, ReadOnlySpan<short> samples, int sampleRate = OpusVoice.SampleRate)
    {
        long dataBytes = (long)samples.Length * 2;
        if (dataBytes > uint.MaxValue - PcmHeaderSize)
            throw new ArgumentException("Too many samples for a WAV file (4 GiB limit).", nameof(samples));
        Span<byte> header = stackalloc byte[PcmHeaderSize];
        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(PcmHeaderSize - 8 + dataBytes));
        "WAVE"u8.CopyTo(header[8..]);
        "fmt "u8.CopyTo(header[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(header[20..], FormatPcm);
        BinaryPrimitives.WriteUInt16LittleEndian(header[22..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(header[28..], (uint)sampleRate * 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[32..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[34..], 16);
        "data"u8.CopyTo(header[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[40..], (uint)dataBytes);
        stream.Write(header);

        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(samples));
            return;
        }
        Span<byte> two = stackalloc byte[2];
        foreach (short s in samples)
        {
            BinaryPrimitives.WriteInt16LittleEndian(two, s);
            stream.Write(two);
        }
    }

    private static (ushort, ushort, uint, ushort) ParseFormat(ReadOnlySpan<byte> fmt)
    {
        if (fmt.Length < 16)
            throw new InvalidDataException($"WAV fmt chunk has {fmt.Length} bytes; at least 16 are needed.");
        ushort format = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        // WAVE_FORMAT_EXTENSIBLE keeps the real format code in the first two bytes of its sub-format GUID.
        if (format == FormatExtensible && fmt.Length >= 26)
            format = BinaryPrimitives.ReadUInt16LittleEndian(fmt[24..]);
        return (format,
            BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]),
            BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]));
    }

    private static string Describe(ushort format) => format switch
    {
        FormatPcm => "PCM",
        3 => "IEEE float",
        6 => "A-law",
        7 => "µ-law",
        _ => $"format 0x{format:X4}",
    };

    private static short[] ToSamples(ReadOnlySpan<byte> data)
    {
        var samples = MemoryMarshal.Cast<byte, short>(data).ToArray();
        if (!BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(samples, samples);
        return samples;
    }

    private static byte[] ReadAll(Stream stream)
    {
        if (stream is MemoryStream ms && ms.Position == 0)
            return ms.ToArray();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
