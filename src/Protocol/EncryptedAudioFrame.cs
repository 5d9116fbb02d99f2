using System.Buffers.Binary;
using System.Security.Cryptography;

namespace WalkieTalkie.Protocol;

/// <summary>
/// The E2EE live-audio frame (kind 2, PROTOCOL.md "E2EE live audio"):
/// <c>u8 version=1 | u8 kind=2 | u16 channel | u32 epoch | u32 seq | u8 key_index | ciphertext || 16-byte GCM tag</c>.
/// AES-256-GCM with IV = <c>u32 0 | u32 epoch | u32 seq</c> (big-endian) and AAD = the 13 header bytes with channel 0,
/// because the server rewrites the channel for each receiver. The plaintext is one Opus packet; the server never sees keys.
/// </summary>
public static class EncryptedAudioFrame
{
    public const int HeaderSize = AudioFrame.HeaderSize + 1;
    public const int KeyIndexOffset = AudioFrame.HeaderSize;
    public const int TagSize = 16;
    public const int IvSize = 12;
    public const int KeySize = 32;
    /// <summary>Largest Opus packet that fits: the whole payload (key index, ciphertext, tag) stays within 1,500 bytes.</summary>
    public const int MaxPlaintextSize = AudioFrame.MaxPayloadSize - 1 - TagSize;

    /// <summary>Frame length for a plaintext of <paramref name="plaintextLength"/> bytes.</summary>
    public static int FrameLength(int plaintextLength) => HeaderSize + plaintextLength + TagSize;

    /// <summary>Writes the 13 header bytes (kind 2 whatever <paramref name="header"/> says).</summary>
    public static void WriteHeader(Span<byte> destination, AudioFrameHeader header, byte keyIndex)
    {
        if (destination.Length < HeaderSize)
            throw new ArgumentException($"The destination needs at least {HeaderSize} bytes, it has {destination.Length}.", nameof(destination));
        AudioFrame.WriteHeader(destination, header with { Kind = AudioFrame.KindEncrypted });
        destination[KeyIndexOffset] = keyIndex;
    }

    /// <summary>The 12-byte IV of (epoch, seq): <c>u32 0 | u32 epoch | u32 seq</c>.</summary>
    public static void WriteIv(Span<byte> iv, uint epoch, uint seq)
    {
        BinaryPrimitives.WriteUInt32BigEndian(iv, 0);
        BinaryPrimitives.WriteUInt32BigEndian(iv[4..], epoch);
        BinaryPrimitives.WriteUInt32BigEndian(iv[8..], seq);
    }

    /// <summary>The AAD of a frame: its 13 header bytes with the channel set to 0.</summary>
    public static void WriteAad(Span<byte> aad, ReadOnlySpan<byte> frame)
    {
        frame[..HeaderSize].CopyTo(aad);
        aad[AudioFrame.ChannelOffset] = 0;
        aad[AudioFrame.ChannelOffset + 1] = 0;
    }

    /// <summary>Reads a kind-2 frame: header, key index, and where ciphertext and tag are.</summary>
    public static bool TryParse(ReadOnlySpan<byte> frame, out AudioFrameHeader header, out byte keyIndex, out Range ciphertext, out Range tag)
    {
        keyIndex = 0;
        ciphertext = tag = default;
        if (!AudioFrame.TryParse(frame, out header, out _) || !header.IsEncrypted || frame.Length < HeaderSize + TagSize) return false;
        keyIndex = frame[KeyIndexOffset];
        ciphertext = HeaderSize..(frame.Length - TagSize);
        tag = (frame.Length - TagSize)..frame.Length;
        return true;
    }

    /// <summary>Encrypts one Opus packet into a whole frame in <paramref name="destination"/>; returns the frame length.</summary>
    public static int Seal(AesGcm key, AudioFrameHeader header, byte keyIndex, ReadOnlySpan<byte> opus, Span<byte> destination)
    {
        if (opus.Length > MaxPlaintextSize)
            throw new ArgumentException($"An encrypted frame holds at most {MaxPlaintextSize} bytes of Opus; this packet has {opus.Length}.", nameof(opus));
        var length = FrameLength(opus.Length);
        if (destination.Length < length)
            throw new ArgumentException($"The destination needs {length} bytes, it has {destination.Length}.", nameof(destination));
        WriteHeader(destination, header, keyIndex);
        Span<byte> iv = stackalloc byte[IvSize];
        Span<byte> aad = stackalloc byte[HeaderSize];
        WriteIv(iv, header.Epoch, header.Seq);
        WriteAad(aad, destination);
        key.Encrypt(iv, opus, destination[HeaderSize..(length - TagSize)], destination[(length - TagSize)..length], aad);
        return length;
    }

    /// <summary>Decrypts a kind-2 frame (any channel) into <paramref name="opus"/>; false when it is not one or does not authenticate.</summary>
    public static bool TryOpen(AesGcm key, ReadOnlySpan<byte> frame, Span<byte> opus, out int written)
    {
        written = 0;
        if (!TryParse(frame, out var header, out _, out var ciphertext, out var tag)) return false;
        var (_, length) = ciphertext.GetOffsetAndLength(frame.Length);
        if (opus.Length < length) throw new ArgumentException($"The destination needs {length} bytes, it has {opus.Length}.", nameof(opus));
        Span<byte> iv = stackalloc byte[IvSize];
        Span<byte> aad = stackalloc byte[HeaderSize];
        WriteIv(iv, header.Epoch, header.Seq);
        WriteAad(aad, frame);
        try { key.Decrypt(iv, frame[ciphertext], frame[tag], opus[..length], aad); }
        catch (AuthenticationTagMismatchException) { return false; }
        written = length;
        return true;
    }
}
