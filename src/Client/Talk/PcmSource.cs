using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace WalkieTalkie.Client.Talk;

/// <summary>48 kHz mono PCM16 for a <see cref="Talker"/>: a whole recording, or a live stream such as a capture tool's stdout.</summary>
public abstract class PcmSource : IDisposable
{
    /// <summary>Fills <paramref name="buffer"/> as far as the source allows and returns the sample count; fewer only at the end, 0 after it.</summary>
    public abstract ValueTask<int> ReadAsync(Memory<short> buffer, CancellationToken cancellationToken);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    public static PcmSource FromSamples(ReadOnlyMemory<short> pcm) => new SampleSource(pcm);

    /// <summary>A 48 kHz mono 16-bit WAV file (see <see cref="WavFile"/> for converting others).</summary>
    public static PcmSource FromWavFile(string path) => FromSamples(WavFile.Read(path));

    /// <summary>Raw little-endian PCM16, 48 kHz mono, e.g. <c>arecord -f S16_LE -r 48000 -c 1 -t raw</c> on stdin.</summary>
    public static PcmSource FromRawStream(Stream stream, bool leaveOpen = false) => new RawStreamSource(stream, leaveOpen);

    private sealed class SampleSource(ReadOnlyMemory<short> pcm) : PcmSource
    {
        private int _offset;

        public override ValueTask<int> ReadAsync(Memory<short> buffer, CancellationToken cancellationToken)
        {
            int n = Math.Min(buffer.Length, pcm.Length - _offset);
            pcm.Slice(_offset, n).CopyTo(buffer);
            _offset += n;
            return ValueTask.FromResult(n);
        }
    }

    private sealed class RawStreamSource(Stream stream, bool leaveOpen) : PcmSource
    {
        private byte[] _bytes = [];

        public override async ValueTask<int> ReadAsync(Memory<short> buffer, CancellationToken cancellationToken)
        {
            int wanted = buffer.Length * 2;
            if (_bytes.Length < wanted) _bytes = new byte[wanted];
            int read = await stream.ReadAtLeastAsync(_bytes.AsMemory(0, wanted), wanted, throwOnEndOfStream: false, cancellationToken);
            int samples = read / 2; // an odd trailing byte at the end of the stream is not a sample
            var target = buffer.Span[..samples];
            MemoryMarshal.Cast<byte, short>(_bytes.AsSpan(0, samples * 2)).CopyTo(target);
            if (!BitConverter.IsLittleEndian)
                BinaryPrimitives.ReverseEndianness(target, target);
            return samples;
        }

        public override void Dispose()
        {
            if (!leaveOpen) stream.Dispose();
            base.Dispose();
        }
    }
}
