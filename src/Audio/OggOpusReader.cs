using System.Buffers.Binary;
using System.Text;

namespace WalkieTalkie.Audio;

/// <summary>
/// Reads a single-stream Ogg Opus file strictly: every page's CRC, sequence, serial and BOS/EOS flags, the header
/// packets' layout and (optionally) every granule position. Meant for tests and for waveforms of recordings, so any
/// irregularity is an <see cref="InvalidDataException"/> rather than something to recover from.
/// </summary>
public static class OggOpusReader
{
    private const int PageHeaderSize = 27;

    public static OggOpusFile Read(string path, bool verifyGranules = true) => Read(File.ReadAllBytes(path), verifyGranules);

    public static OggOpusFile Read(Stream stream, bool verifyGranules = true)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Read(copy.GetBuffer().AsSpan(0, (int)copy.Length), verifyGranules);
    }

    /// <param name="file">The whole file.</param>
    /// <param name="verifyGranules">
    /// Require header pages at granule 0 and every audio page at the samples of all packets completed so far, pre-skip
    /// included (RFC 7845 §4); the last page may be lower (end trimming) but not below the pre-skip.
    /// </param>
    public static OggOpusFile Read(ReadOnlySpan<byte> file, bool verifyGranules = true)
    {
        var pages = new List<OggPage>();
        var packets = new List<byte[]>(); // headers first, then audio
        var partial = new List<byte>();
        long samples = 0;
        int tagsPage = -1;
        int offset = 0;

        while (offset < file.Length)
        {
            int index = pages.Count;
            if (file.Length - offset < PageHeaderSize)
                throw Bad(index, offset, $"only {file.Length - offset} bytes left, a page header has {PageHeaderSize}");
            ReadOnlySpan<byte> header = file.Slice(offset, PageHeaderSize);
            if (!header[..4].SequenceEqual("OggS"u8))
                throw Bad(index, offset, "no OggS capture pattern");
            if (header[4] != 0)
                throw Bad(index, offset, $"stream structure version {header[4]}, expected 0");
            var flags = (OggPageFlags)header[5];
            long granule = BinaryPrimitives.ReadInt64LittleEndian(header[6..]);
            uint serial = BinaryPrimitives.ReadUInt32LittleEndian(header[14..]);
            uint sequence = BinaryPrimitives.ReadUInt32LittleEndian(header[18..]);
            uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[22..]);
            int segments = header[26];
            if (file.Length - offset < PageHeaderSize + segments)
                throw Bad(index, offset, "truncated segment table");
            ReadOnlySpan<byte> lacing = file.Slice(offset + PageHeaderSize, segments);
            int bodyLength = 0;
            foreach (byte l in lacing) bodyLength += l;
            int pageLength = PageHeaderSize + segments + bodyLength;
            if (file.Length - offset < pageLength)
                throw Bad(index, offset, $"truncated body: {bodyLength} bytes announced, {file.Length - offset - PageHeaderSize - segments} present");

            // The checksum covers the whole page with its own field taken as zero.
            ReadOnlySpan<byte> page = file.Slice(offset, pageLength);
            uint crc = OggCrc.Update(OggCrc.Update(OggCrc.Update(0, page[..22]), [0, 0, 0, 0]), page[26..]);
            if (crc != storedCrc)
                throw Bad(index, offset, $"CRC mismatch: stored 0x{storedCrc:X8}, computed 0x{crc:X8}");

            if (index == 0 && (flags & OggPageFlags.BeginOfStream) == 0)
                throw Bad(index, offset, "the first page lacks the BOS flag");
            if (index > 0)
            {
                if ((flags & OggPageFlags.BeginOfStream) != 0)
                    throw Bad(index, offset, "BOS flag on a later page (chained or multiplexed streams are not supported)");
                if (serial != pages[0].Serial)
                    throw Bad(index, offset, $"serial 0x{serial:X8} differs from the first page's 0x{pages[0].Serial:X8} (multiplexed streams are not supported)");
                if (sequence != pages[^1].Sequence + 1)
                    throw Bad(index, offset, $"page sequence {sequence} follows {pages[^1].Sequence}: a page is missing");
                if ((pages[^1].Flags & OggPageFlags.EndOfStream) != 0)
                    throw Bad(index, offset, "a page follows the EOS page");
            }
            bool continued = (flags & OggPageFlags.Continued) != 0;
            if (continued != partial.Count > 0)
                throw Bad(index, offset, continued ? "continuation flag without an unfinished packet" : "an unfinished packet is not continued");

            int completed = 0;
            int bodyOffset = offset + PageHeaderSize + segments;
            for (int s = 0; s < segments; s++)
            {
                partial.AddRange(file.Slice(bodyOffset, lacing[s]));
                bodyOffset += lacing[s];
                if (lacing[s] == 255) continue; // the packet goes on
                byte[] packet = partial.ToArray();
                partial.Clear();
                completed++;
                packets.Add(packet);
                if (packets.Count == 1 && index != 0)
                    throw Bad(index, offset, "OpusHead is not on the first page");
                if (packets.Count == 1 && s != segments - 1)
                    throw Bad(index, offset, "the first page holds more than the OpusHead packet");
                if (packets.Count == 2)
                {
                    tagsPage = index;
                    // RFC 7845 §3: OpusTags finishes its page, so audio starts on a fresh page.
                    if (s != segments - 1)
                        throw Bad(index, offset, "audio data shares the OpusTags page");
                }
                if (packets.Count > 2)
                {
                    if (!OpusPacket.TryGetSampleCount(packet, out int n))
                        throw Bad(index, offset, $"audio packet {packets.Count - 3} is not an Opus packet ({packet.Length} bytes)");
                    samples += n;
                }
            }
            if (index == 0 && (packets.Count != 1 || partial.Count > 0))
                throw Bad(index, offset, "the first page must hold exactly the OpusHead packet");

            pages.Add(new OggPage(sequence, serial, flags, granule, segments, bodyLength, completed, samples));
            offset += pageLength;
        }

        if (pages.Count == 0)
            throw new InvalidDataException("Empty file: no Ogg pages.");
        if ((pages[^1].Flags & OggPageFlags.EndOfStream) == 0)
            throw new InvalidDataException($"The last page (#{pages.Count - 1}) lacks the EOS flag: the file is truncated or still being written.");
        if (partial.Count > 0)
            throw new InvalidDataException("The stream ends inside a packet.");
        if (packets.Count < 2)
            throw new InvalidDataException("The stream ends before its OpusTags header.");

        OpusHead head = ParseHead(packets[0]);
        OpusTags tags = ParseTags(packets[1]);
        if (verifyGranules)
            VerifyGranules(pages, tagsPage, head.PreSkip);
        return new OggOpusFile(head, tags, packets.GetRange(2, packets.Count - 2), pages);
    }

    private static void VerifyGranules(List<OggPage> pages, int tagsPage, ushort preSkip)
    {
        for (int i = 0; i < pages.Count; i++)
        {
            OggPage page = pages[i];
            if (i <= tagsPage)
            {
                if (page.GranulePosition != 0)
                    throw new InvalidDataException($"Header page #{i} has granule {page.GranulePosition}; header pages have granule 0.");
                continue;
            }
            if (page.PacketsCompleted == 0)
            {
                if (page.GranulePosition != -1)
                    throw new InvalidDataException($"Page #{i} completes no packet, so its granule must be -1, not {page.GranulePosition}.");
                continue;
            }
            long expected = page.SamplesThroughPage;
            if (page.GranulePosition == expected)
                continue;
            if (i == pages.Count - 1 && page.GranulePosition < expected && page.GranulePosition >= preSkip)
                continue; // end trimming
            throw new InvalidDataException(
                $"Page #{i} has granule {page.GranulePosition}; its packets and those before decode to {expected} samples (pre-skip {preSkip} included).");
        }
    }

    private static OpusHead ParseHead(byte[] packet)
    {
        if (packet.Length < 19 || !packet.AsSpan(0, 8).SequenceEqual("OpusHead"u8))
            throw new InvalidDataException("The first packet is not an OpusHead header.");
        var head = new OpusHead(
            packet[8],
            packet[9],
            BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(10)),
            BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(12)),
            BinaryPrimitives.ReadInt16LittleEndian(packet.AsSpan(16)),
            packet[18]);
        if (head.Version >> 4 != 0)
            throw new InvalidDataException($"OpusHead version {head.Version}: only major version 0 (versions 1..15) is defined.");
        if (head.ChannelCount == 0)
            throw new InvalidDataException("OpusHead declares 0 channels.");
        return head;
    }

    private static OpusTags ParseTags(byte[] packet)
    {
        ReadOnlySpan<byte> p = packet;
        if (p.Length < 16 || !p[..8].SequenceEqual("OpusTags"u8))
            throw new InvalidDataException("The second packet is not an OpusTags header.");
        int at = 8;
        string vendor = ReadString(p, ref at);
        uint count = ReadUInt32(p, ref at);
        var comments = new List<string>();
        for (uint i = 0; i < count; i++)
            comments.Add(ReadString(p, ref at));
        return new OpusTags(vendor, comments);

        static uint ReadUInt32(ReadOnlySpan<byte> p, ref int at)
        {
            if (p.Length - at < 4) throw new InvalidDataException("OpusTags is truncated.");
            uint v = BinaryPrimitives.ReadUInt32LittleEndian(p[at..]);
            at += 4;
            return v;
        }

        static string ReadString(ReadOnlySpan<byte> p, ref int at)
        {
            uint length = ReadUInt32(p, ref at);
            if (length > p.Length - at) throw new InvalidDataException("OpusTags is truncated.");
            string s = Encoding.UTF8.GetString(p.Slice(at, (int)length));
            at += (int)length;
            return s;
        }
    }

    private static InvalidDataException Bad(int page, int offset, string what) =>
        new($"Ogg page #{page} at byte {offset}: {what}.");
}
