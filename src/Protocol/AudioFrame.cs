using System.Buffers.Binary;

namespace WalkieTalkie.Protocol;

/// <summary>Header fields of one live-audio binary WebSocket frame (version is implied: 1; kind 1 plain Opus, 2 encrypted).</summary>
public readonly record struct AudioFrameHeader(ushort Channel, uint Epoch, uint Seq, byte Kind = AudioFrame.KindAudio)
{
    public bool IsEncrypted => Kind == AudioFrame.KindEncrypted;
}

/// <summary>Why <see cref="AudioFrame.TryParse(ReadOnlySpan{byte}, out AudioFrameHeader, out Range, out AudioFrameReject)"/> refused a frame.</summary>
public enum AudioFrameReject
{
    None = 0,
    /// <summary>Fewer than <see cref="AudioFrame.HeaderSize"/> bytes.</summary>
    TooShort,
    /// <summary>First byte is not <see cref="AudioFrame.Version"/>.</summary>
    BadVersion,
    /// <summary>Second byte is neither <see cref="AudioFrame.KindAudio"/> nor <see cref="AudioFrame.KindEncrypted"/>.</summary>
    BadKind,
    /// <summary>Payload longer than <see cref="AudioFrame.MaxPayloadSize"/>.</summary>
    TooLarge,
}

/// <summary>
/// The binary live-audio frame of MSC4002, big-endian:
/// <c>u8 version=1 | u8 kind | u16 channel | u32 epoch | u32 seq | payload (≤ 1,500 bytes)</c>. Kind 1 carries one Opus
/// packet; kind 2 (E2EE, <see cref="EncryptedAudioFrame"/>) a key index and the packet's AES-GCM ciphertext, relayed alike.
/// Every method works on caller buffers and allocates nothing: it runs once per frame per listener.
/// </summary>
public static class AudioFrame
{
    public const byte Version = 1;
    public const byte KindAudio = 1;
    public const byte KindEncrypted = 2;
    public const int HeaderSize = 12;
    public const int MaxPayloadSize = 1500;
    public const int MaxFrameSize = HeaderSize + MaxPayloadSize;

    internal const int ChannelOffset = 2;
    internal const int EpochOffset = 4;
    internal const int SeqOffset = 8;

    /// <summary>Parses a frame; on success <paramref name="payload"/> is the payload's range within <paramref name="frame"/>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> frame, out AudioFrameHeader header, out Range payload, out AudioFrameReject reject)
    {
        header = default;
        payload = default;
        reject = Check(frame);
        if (reject != AudioFrameReject.None)
            return false;

        header = new AudioFrameHeader(
            BinaryPrimitives.ReadUInt16BigEndian(frame[ChannelOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(frame[EpochOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(frame[SeqOffset..]),
            frame[1]);
        payload = HeaderSize..frame.Length;
        return true;
    }

    /// <inheritdoc cref="TryParse(ReadOnlySpan{byte}, out AudioFrameHeader, out Range, out AudioFrameReject)"/>
    public static bool TryParse(ReadOnlySpan<byte> frame, out AudioFrameHeader header, out Range payload) =>
        TryParse(frame, out header, out payload, out _);

    /// <summary>Validates the frame without reading its fields (what a relay needs before rewriting the channel).</summary>
    public static AudioFrameReject Check(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < HeaderSize) return AudioFrameReject.TooShort;
        if (frame[0] != Version) return AudioFrameReject.BadVersion;
        if (frame[1] is not (KindAudio or KindEncrypted)) return AudioFrameReject.BadKind;
        if (frame.Length - HeaderSize > MaxPayloadSize) return AudioFrameReject.TooLarge;
        return AudioFrameReject.None;
    }

    /// <summary>Writes the 12 header bytes, so a sender can encode or encrypt the payload straight into <c>destination[HeaderSize..]</c>.</summary>
    public static void WriteHeader(Span<byte> destination, AudioFrameHeader header)
    {
        if (destination.Length < HeaderSize)
            throw new ArgumentException($"The destination needs at least {HeaderSize} bytes, it has {destination.Length}.", nameof(destination));
        destination[0] = Version;
        destination[1] = header.Kind is KindAudio or KindEncrypted
            ? header.Kind
            : throw new ArgumentException($"Kind {header.Kind} is neither {KindAudio} nor {KindEncrypted}.", nameof(header));
        BinaryPrimitives.WriteUInt16BigEndian(destination[ChannelOffset..], header.Channel);
        BinaryPrimitives.WriteUInt32BigEndian(destination[EpochOffset..], header.Epoch);
        BinaryPrimitives.WriteUInt32BigEndian(destination[SeqOffset..], header.Seq);
    }

    /// <summary>Writes header and payload into <paramref name="destination"/>; returns the frame length.</summary>
    public static int Write(Span<byte> destination, AudioFrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayloadSize)
            throw new ArgumentException($"The payload has {payload.Length} bytes; at most {MaxPayloadSize} are allowed.", nameof(payload));
        int length = HeaderSize + payload.Length;
        if (destination.Length < length)
            throw new ArgumentException($"The destination needs {length} bytes, it has {destination.Length}.", nameof(destination));
        WriteHeader(destination, header);
        payload.CopyTo(destination[HeaderSize..]);
        return length;
    }

    /// <summary>Stamps the receiver's channel number into a frame in place; every other byte stays as sent.</summary>
    public static void RewriteChannel(Span<byte> frame, ushort channel)
    {
        if (frame.Length < HeaderSize)
            throw new ArgumentException($"A frame has at least {HeaderSize} bytes, this one has {frame.Length}.", nameof(frame));
        BinaryPrimitives.WriteUInt16BigEndian(frame[ChannelOffset..], channel);
    }
}
