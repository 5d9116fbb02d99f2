using System.Buffers.Binary;
using WalkieTalkie.Protocol;

namespace WalkieTalkie.Server.Walkie.Stream.Relay;

/// <summary>
/// One server-to-client WebSocket frame, header and payload, framed once: server frames are unmasked, so the same bytes
/// go to every listener. Audio frames are pooled and reference-counted (one reference per queued delivery, plus the
/// builder's); control messages are plain garbage-collected frames (rare, and a room-wide one is framed once).
/// </summary>
public sealed class RelayFrame
{
    const byte Fin = 0x80, OpText = 0x1, OpBinary = 0x2;
    const int PooledBytes = AudioFrame.MaxFrameSize + 4;
    const int PoolLimit = 4096;
    static readonly Stack<RelayFrame> Pool = new();
    static readonly Lock PoolGate = new();

    readonly byte[] _bytes;
    readonly bool _pooled;
    int _length, _refs;

    RelayFrame(byte[] bytes, bool pooled)
    {
        _bytes = bytes;
        _pooled = pooled;
    }

    /// <summary>The whole WebSocket frame as written to the transport.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes.AsMemory(0, _length);
    public int Length => _length;
    public bool IsAudio { get; private set; }

    /// <summary>A binary frame holding <paramref name="audio"/> (one live-audio frame), with one reference: the caller's.</summary>
    public static RelayFrame Audio(ReadOnlySpan<byte> audio)
    {
        if (audio.Length > AudioFrame.MaxFrameSize) throw new ArgumentException($"An audio frame has at most {AudioFrame.MaxFrameSize} bytes.", nameof(audio));
        RelayFrame? frame;
        lock (PoolGate) Pool.TryPop(out frame);
        frame ??= new RelayFrame(new byte[PooledBytes], pooled: true);
        frame._length = WriteHeader(frame._bytes, OpBinary, audio.Length);
        audio.CopyTo(frame._bytes.AsSpan(frame._length));
        frame._length += audio.Length;
        frame.IsAudio = true;
        frame._refs = 1;
        return frame;
    }

    /// <summary>A text frame holding one control message (UTF-8 JSON); not pooled, so references need no counting.</summary>
    public static RelayFrame Text(ReadOnlySpan<byte> utf8)
    {
        var frame = new RelayFrame(new byte[HeaderLength(utf8.Length) + utf8.Length], pooled: false);
        frame._length = WriteHeader(frame._bytes, OpText, utf8.Length);
        utf8.CopyTo(frame._bytes.AsSpan(frame._length));
        frame._length += utf8.Length;
        return frame;
    }

    /// <summary>One more holder of this frame (a listener's queue).</summary>
    public void AddRef()
    {
        if (_pooled) Interlocked.Increment(ref _refs);
    }

    /// <summary>A holder is done with it; the last one gives the buffer back to the pool.</summary>
    public void Release()
    {
        if (!_pooled || Interlocked.Decrement(ref _refs) != 0) return;
        lock (PoolGate)
            if (Pool.Count < PoolLimit) Pool.Push(this);
    }

    static int HeaderLength(int payload) => payload < 126 ? 2 : payload <= ushort.MaxValue ? 4 : 10;

    // RFC 6455 §5.2: FIN + opcode, then the payload length (7 bits, or 126 + u16, or 127 + u64); no mask from a server.
    static int WriteHeader(Span<byte> destination, byte opcode, int payload)
    {
        destination[0] = (byte)(Fin | opcode);
        if (payload < 126)
        {
            destination[1] = (byte)payload;
            return 2;
        }
        if (payload <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payload);
            return 4;
        }
        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payload);
        return 10;
    }
}
