namespace WalkieTalkie.Protocol.Tests;

public class AudioFrameTests
{
    private static readonly AudioFrameHeader SampleHeader = new(Channel: 0x0102, Epoch: 0x0304_0506, Seq: 0x0708_090A);

    [Fact]
    public void Write_lays_out_the_header_big_endian_as_the_protocol_says()
    {
        var buffer = new byte[AudioFrame.MaxFrameSize];
        int length = AudioFrame.Write(buffer, SampleHeader, [0xAA, 0xBB]);

        Assert.Equal(14, length);
        Assert.Equal(new byte[] { 1, 1, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0xAA, 0xBB }, buffer[..length]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(97)]
    [InlineData(AudioFrame.MaxPayloadSize)]
    public void Parse_returns_what_write_wrote(int payloadLength)
    {
        byte[] payload = Enumerable.Range(0, payloadLength).Select(i => (byte)(i * 7 + 3)).ToArray();
        var header = new AudioFrameHeader(Channel: 65535, Epoch: uint.MaxValue, Seq: 123_456_789);
        var buffer = new byte[AudioFrame.MaxFrameSize + 10];

        int length = AudioFrame.Write(buffer, header, payload);
        bool ok = AudioFrame.TryParse(buffer.AsSpan(0, length), out var parsed, out Range range, out var reject);

        Assert.True(ok);
        Assert.Equal(AudioFrameReject.None, reject);
        Assert.Equal(header, parsed);
        Assert.Equal(payload, buffer.AsSpan(0, length)[range].ToArray());
    }

    [Fact]
    public void WriteHeader_lets_the_payload_be_encoded_in_place()
    {
        var buffer = new byte[AudioFrame.MaxFrameSize];
        AudioFrame.WriteHeader(buffer, SampleHeader);
        buffer[AudioFrame.HeaderSize] = 0x42;

        Assert.True(AudioFrame.TryParse(buffer.AsSpan(0, AudioFrame.HeaderSize + 1), out var parsed, out Range range));
        Assert.Equal(SampleHeader, parsed);
        Assert.Equal(new byte[] { 0x42 }, buffer.AsSpan(0, AudioFrame.HeaderSize + 1)[range].ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(11)]
    public void A_frame_shorter_than_the_header_is_rejected_as_too_short(int length)
    {
        var frame = new byte[length];
        if (length > 0) frame[0] = AudioFrame.Version;

        Assert.False(AudioFrame.TryParse(frame, out _, out _, out var reject));
        Assert.Equal(AudioFrameReject.TooShort, reject);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(255)]
    public void Another_version_is_rejected(byte version)
    {
        byte[] frame = ValidFrame(10);
        frame[0] = version;

        Assert.False(AudioFrame.TryParse(frame, out _, out _, out var reject));
        Assert.Equal(AudioFrameReject.BadVersion, reject);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(255)]
    public void Another_kind_is_rejected(byte kind)
    {
        byte[] frame = ValidFrame(10);
        frame[1] = kind;

        Assert.False(AudioFrame.TryParse(frame, out _, out _, out var reject));
        Assert.Equal(AudioFrameReject.BadKind, reject);
    }

    [Fact]
    public void A_payload_over_1500_bytes_is_rejected_as_too_large()
    {
        Assert.Equal(AudioFrameReject.None, AudioFrame.Check(ValidFrame(AudioFrame.MaxPayloadSize)));

        Assert.False(AudioFrame.TryParse(ValidFrame(AudioFrame.MaxPayloadSize + 1), out _, out _, out var reject));
        Assert.Equal(AudioFrameReject.TooLarge, reject);
    }

    [Fact]
    public void Write_refuses_an_oversized_payload_and_a_short_buffer()
    {
        var big = new byte[AudioFrame.MaxFrameSize + 1];
        Assert.Throws<ArgumentException>(() => AudioFrame.Write(big, SampleHeader, new byte[AudioFrame.MaxPayloadSize + 1]));
        Assert.Throws<ArgumentException>(() => AudioFrame.Write(new byte[20], SampleHeader, new byte[9]));
        Assert.Throws<ArgumentException>(() => AudioFrame.RewriteChannel(new byte[11], 1));
    }

    [Fact]
    public void RewriteChannel_changes_only_the_channel_bytes()
    {
        byte[] frame = ValidFrame(321);
        Random.Shared.NextBytes(frame.AsSpan(AudioFrame.HeaderSize));
        byte[] original = frame.ToArray();

        AudioFrame.RewriteChannel(frame, 0xBEEF);

        Assert.True(AudioFrame.TryParse(frame, out var header, out Range range));
        Assert.Equal(SampleHeader with { Channel = 0xBEEF }, header);
        Assert.Equal(new byte[] { 0xBE, 0xEF }, frame[2..4]);
        Assert.Equal(original[..2], frame[..2]);
        Assert.Equal(original[4..], frame[4..]);
        Assert.Equal(original[range], frame[range]);
    }

    [Fact]
    public void Parsing_checking_writing_and_rewriting_allocate_nothing()
    {
        byte[] frame = ValidFrame(200);
        var output = new byte[AudioFrame.MaxFrameSize];
        Run(); // JIT and static initialisation first

        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = Run();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sum);

        long Run()
        {
            long total = 0;
            for (int i = 0; i < 10_000; i++)
            {
                AudioFrame.TryParse(frame, out var header, out Range payload, out _);
                AudioFrame.RewriteChannel(frame, (ushort)i);
                total += AudioFrame.Write(output, header, frame.AsSpan()[payload]) + (int)AudioFrame.Check(output);
            }
            return total;
        }
    }

    private static byte[] ValidFrame(int payloadLength)
    {
        var frame = new byte[AudioFrame.HeaderSize + payloadLength];
        AudioFrame.WriteHeader(frame, SampleHeader);
        return frame;
    }
}
