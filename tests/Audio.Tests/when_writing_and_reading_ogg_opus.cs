using System.Buffers.Binary;

namespace WalkieTalkie.Audio.Tests;

public class when_writing_and_reading_ogg_opus
{
    /// <summary>TOC 0x78: hybrid, full band, 20 ms, one frame — what the encoder emits for speech.</summary>
    private const byte Toc20Ms = 0x78;

    [Fact]
    public void ogg_crc_matches_the_reference_check_value()
    {
        // CRC-32 with polynomial 0x04C11DB7, init 0, no reflection, no final XOR over "123456789".
        Assert.Equal(0x89A1_897Fu, OggCrc.Compute("123456789"u8));
    }

    [Fact]
    public void headers_follow_RFC_7845()
    {
        var output = new MemoryStream();
        OggOpusWriter.Write(output, Packets(3), new OggOpusOptions { Serial = 0xCAFE_F00D, Comments = ["TITLE=Burst 17", "ENCODER=test"] });
        byte[] bytes = output.ToArray();

        // Page 0: BOS, granule 0, serial, sequence 0, one segment of 19 bytes holding exactly OpusHead.
        Assert.Equal("OggS"u8.ToArray(), bytes[..4]);
        Assert.Equal(0x02, bytes[5]);
        Assert.Equal(0L, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(6)));
        Assert.Equal(0xCAFE_F00Du, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(14)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(18)));
        Assert.Equal(new byte[] { 1, 19 }, bytes[26..28]);
        byte[] expectedHead = [.. "OpusHead"u8, 1, 1, 0x38, 0x01, 0x80, 0xBB, 0x00, 0x00, 0, 0, 0];
        Assert.Equal(expectedHead, bytes[28..47]);

        var file = OggOpusReader.Read(bytes);
        Assert.Equal(new OpusHead(1, 1, 312, 48000, 0, 0), file.Head);
        Assert.Equal("WalkieTalkie", file.Tags.Vendor);
        Assert.Equal(["TITLE=Burst 17", "ENCODER=test"], file.Tags.Comments);
        Assert.Equal(0xCAFE_F00Du, file.Serial);
    }

    [Fact]
    public void granules_page_sequence_and_flags_are_right_across_pages()
    {
        var output = new MemoryStream();
        var summary = OggOpusWriter.Write(output, Packets(120), new OggOpusOptions { PreSkip = 400, MaxPacketsPerPage = 50 });

        var file = OggOpusReader.Read(output.ToArray()); // verifies CRCs and granules itself
        Assert.Equal(5, file.Pages.Count); // head, tags, 50 + 50 + 20 packets
        // RFC 7845 §4: samples decoded through the page's last packet; the pre-skip is not added on top.
        Assert.Equal([0L, 0L, 50 * 960, 100 * 960, 120 * 960], file.Pages.Select(p => p.GranulePosition));
        Assert.Equal([0u, 1u, 2u, 3u, 4u], file.Pages.Select(p => p.Sequence));
        Assert.Equal(
            [OggPageFlags.BeginOfStream, OggPageFlags.None, OggPageFlags.None, OggPageFlags.None, OggPageFlags.EndOfStream],
            file.Pages.Select(p => p.Flags));
        Assert.Equal((120 * 960 - 400) / 48, file.DurationMs); // 2391 ms: 2.4 s less the pre-skip
        Assert.Equal(new OggOpusSummary(summary.Serial, 120, 0, 120 * 960, 2391, 5), summary);
    }

    [Theory]
    [InlineData(254)]
    [InlineData(255)] // needs a terminating 0 lacing value
    [InlineData(256)]
    [InlineData(510)]
    [InlineData(1275)]
    public void packets_of_any_size_come_back_byte_identical(int size)
    {
        ReadOnlyMemory<byte>[] packets = [Packet(1, 10), Packet(2, size), Packet(3, 255), Packet(4, 1)];
        var output = new MemoryStream();
        OggOpusWriter.Write(output, packets, new OggOpusOptions());

        var file = OggOpusReader.Read(output.ToArray());

        Assert.Equal(packets.Select(p => p.ToArray()), file.Packets);
    }

    [Fact]
    public void lacing_table_limit_starts_a_new_page()
    {
        // Each 1,000-byte packet takes 4 lacing values: 63 of them fit in 255, the 64th opens a page.
        var output = new MemoryStream();
        OggOpusWriter.Write(output, Enumerable.Range(0, 64).Select(i => (ReadOnlyMemory<byte>)Packet(i, 1000)), new OggOpusOptions { MaxPacketsPerPage = 255 });

        var file = OggOpusReader.Read(output.ToArray());

        Assert.Equal([1, 1, 63, 1], file.Pages.Select(p => p.PacketsCompleted));
        Assert.Equal(252, file.Pages[2].Segments);
    }

    [Fact]
    public void a_changed_byte_fails_the_crc_check()
    {
        var output = new MemoryStream();
        OggOpusWriter.Write(output, Packets(60), new OggOpusOptions());
        byte[] bytes = output.ToArray();
        bytes[^100] ^= 0x01;

        var error = Assert.Throws<InvalidDataException>(() => OggOpusReader.Read(bytes));
        Assert.Contains("CRC mismatch", error.Message);
    }

    [Fact]
    public void a_wrong_granule_is_caught_by_the_reader()
    {
        var output = new MemoryStream();
        OggOpusWriter.Write(output, Packets(120), new OggOpusOptions());
        byte[] bytes = output.ToArray();
        var pages = OggOpusReader.Read(bytes).Pages;
        int thirdPage = 0;
        for (int i = 0; i < 2; i++) thirdPage += 27 + pages[i].Segments + pages[i].BodyLength;
        // Shift the first audio page's granule by one frame and re-seal the page so only the granule is wrong.
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(thirdPage + 6), pages[2].GranulePosition + 960);
        Reseal(bytes.AsSpan(thirdPage, 27 + pages[2].Segments + pages[2].BodyLength));

        var error = Assert.Throws<InvalidDataException>(() => OggOpusReader.Read(bytes));
        Assert.Contains("granule", error.Message);
        Assert.Equal(120, OggOpusReader.Read(bytes, verifyGranules: false).Packets.Count);
    }

    [Fact]
    public void a_truncated_stream_without_EOS_is_reported()
    {
        var output = new MemoryStream();
        var writer = new OggOpusWriter(output, new OggOpusOptions { MaxPacketsPerPage = 10 });
        foreach (var p in Packets(25)) writer.Append(p.Span);
        // Not completed: two full audio pages are out, the last one has no EOS.

        var error = Assert.Throws<InvalidDataException>(() => OggOpusReader.Read(output.ToArray()));
        Assert.Contains("EOS", error.Message);
    }

    [Fact]
    public void empty_packets_become_20_ms_loss_frames()
    {
        ReadOnlyMemory<byte>[] packets = [Packet(1, 80), ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, Packet(2, 80)];
        var output = new MemoryStream();
        var summary = OggOpusWriter.Write(output, packets, new OggOpusOptions());

        var file = OggOpusReader.Read(output.ToArray());

        Assert.Equal(4, file.Packets.Count);
        Assert.Equal(new byte[] { Toc20Ms }, file.Packets[1]); // TOC-only, same mode and bandwidth as before
        Assert.Equal(new byte[] { Toc20Ms }, file.Packets[2]);
        Assert.Equal((4 * 960 - 312) / 48, file.DurationMs);
        Assert.Equal(2, summary.LossPackets);
    }

    [Fact]
    public void sequenced_append_fills_gaps_drops_late_packets_and_survives_wrap()
    {
        var output = new MemoryStream();
        var writer = new OggOpusWriter(output, new OggOpusOptions { MaxGapPackets = 10 });

        Assert.Equal(SequencedAppend.Appended, writer.Append(uint.MaxValue - 1, Packet(1, 40).Span));
        Assert.Equal(SequencedAppend.Appended, writer.Append(uint.MaxValue, Packet(2, 40).Span));
        Assert.Equal(SequencedAppend.FilledGap, writer.Append(2, Packet(3, 40).Span)); // 0 and 1 missing, across the wrap
        Assert.Equal(SequencedAppend.DroppedLate, writer.Append(1, Packet(4, 40).Span));
        Assert.Equal(SequencedAppend.DroppedLate, writer.Append(2, Packet(5, 40).Span));
        Assert.Equal(SequencedAppend.ReplacedMalformed, writer.Append(3, ReadOnlySpan<byte>.Empty));
        Assert.Equal(SequencedAppend.Resynchronised, writer.Append(1000, Packet(6, 40).Span));
        Assert.Equal(SequencedAppend.Appended, writer.Append(1001, Packet(7, 40).Span));
        var summary = writer.Complete();

        var file = OggOpusReader.Read(output.ToArray());
        Assert.Equal(8, file.Packets.Count); // 1, 2, loss, loss, 3, loss (malformed), 6, 7
        Assert.Equal([40, 40, 1, 1, 40, 1, 40, 40], file.Packets.Select(p => p.Length));
        Assert.Equal(3, summary.LossPackets);
        Assert.Equal(8 * 960L, file.FinalGranule);
    }

    [Fact]
    public void a_stream_without_audio_is_still_well_formed()
    {
        var output = new MemoryStream();
        var summary = new OggOpusWriter(output).Complete();

        var file = OggOpusReader.Read(output.ToArray());

        Assert.Empty(file.Packets);
        Assert.Equal(2, file.Pages.Count);
        Assert.Equal(OggPageFlags.EndOfStream, file.Pages[1].Flags);
        Assert.Equal(0, file.DurationMs);
        Assert.Equal(0, summary.DurationMs);
    }

    [Fact]
    public void appending_after_complete_and_malformed_packets_are_refused()
    {
        var writer = new OggOpusWriter(new MemoryStream());
        Assert.Throws<ArgumentException>(() => writer.Append([0x7B])); // code 3 without its frame-count byte
        writer.Append(Packet(1, 20).Span);
        writer.Complete();

        Assert.Throws<InvalidOperationException>(() => writer.Append(Packet(2, 20).Span));
        Assert.Throws<InvalidOperationException>(() => writer.AppendLoss());
    }

    [Fact]
    public void serial_is_random_unless_given()
    {
        var a = new OggOpusWriter(new MemoryStream());
        var b = new OggOpusWriter(new MemoryStream());
        var c = new OggOpusWriter(new MemoryStream(), new OggOpusOptions { Serial = 7 });

        Assert.NotEqual(a.Serial, b.Serial); // 1 in 2^32 to collide
        Assert.Equal(7u, c.Serial);
    }

    [Theory]
    [InlineData(new byte[] { 0x78 }, 960)]            // hybrid FB 20 ms
    [InlineData(new byte[] { 0x08 }, 960)]            // SILK NB 20 ms
    [InlineData(new byte[] { 0x18 }, 2880)]           // SILK NB 60 ms
    [InlineData(new byte[] { 0xF8 }, 960)]            // CELT FB 20 ms
    [InlineData(new byte[] { 0xE0 }, 120)]            // CELT FB 2.5 ms
    [InlineData(new byte[] { 0x79, 1, 2 }, 1920)]     // code 1: two equal frames
    [InlineData(new byte[] { 0x7B, 0x03 }, 2880)]     // code 3: three frames
    public void packet_durations_come_from_the_TOC(byte[] packet, int samples)
    {
        Assert.True(OpusPacket.TryGetSampleCount(packet, out int n));
        Assert.Equal(samples, n);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x79, 1 })]   // code 1 with an odd payload cannot be two equal frames
    [InlineData(new byte[] { 0x7B })]      // code 3 without a count
    [InlineData(new byte[] { 0x7B, 0x00 })] // code 3 with zero frames
    [InlineData(new byte[] { 0x1B, 0x03 })] // 3 × 60 ms > 120 ms
    public void malformed_packets_have_no_duration(byte[] packet)
    {
        Assert.False(OpusPacket.TryGetSampleCount(packet, out _));
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Packets(int count) =>
        Enumerable.Range(0, count).Select(i => (ReadOnlyMemory<byte>)Packet(i, 60 + i % 17));

    /// <summary>A packet whose TOC says 20 ms; the rest is filler the container must carry unchanged.</summary>
    private static ReadOnlyMemory<byte> Packet(int seed, int length)
    {
        var packet = new byte[length];
        new Random(seed).NextBytes(packet);
        packet[0] = Toc20Ms;
        return packet;
    }

    private static void Reseal(Span<byte> page)
    {
        page[22..26].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(page[22..], OggCrc.Compute(page));
    }
}
