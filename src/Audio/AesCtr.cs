using System.Numerics;
using System.Security.Cryptography;

namespace WalkieTalkie.Audio;

/// <summary>
/// AES-CTR (NIST SP 800-38A §6.5) built from AES-ECB, which is all .NET offers: the keystream is the encryption of
/// successive counter blocks, the counter being the whole 128-bit block incremented big-endian.
/// </summary>
public static class AesCtr
{
    public const int BlockSize = 16;
    private const int BlocksPerChunk = 256; // 4 KB of keystream per EncryptEcb call

    /// <summary>Encrypts or decrypts (the same operation) <paramref name="input"/> into <paramref name="output"/>.</summary>
    public static void Transform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> initialCounter, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (key.Length is not (16 or 24 or 32))
            throw new ArgumentException($"An AES key has 16, 24 or 32 bytes, got {key.Length}.", nameof(key));
        if (initialCounter.Length != BlockSize)
            throw new ArgumentException($"The counter block has {BlockSize} bytes, got {initialCounter.Length}.", nameof(initialCounter));
        if (output.Length < input.Length)
            throw new ArgumentException("The output is shorter than the input.", nameof(output));
        if (input.Overlaps(output, out int elementOffset) && elementOffset != 0)
            throw new ArgumentException("Input and output may be the same buffer, but must not partly overlap.", nameof(output));

        using var aes = Aes.Create();
        aes.Key = key.ToArray();
        byte[] counters = new byte[BlocksPerChunk * BlockSize];
        byte[] keystream = new byte[counters.Length];
        Span<byte> counter = stackalloc byte[BlockSize];
        initialCounter.CopyTo(counter);

        for (int done = 0; done < input.Length; done += counters.Length)
        {
            int length = Math.Min(counters.Length, input.Length - done);
            int blocks = (length + BlockSize - 1) / BlockSize;
            for (int b = 0; b < blocks; b++)
            {
                counter.CopyTo(counters.AsSpan(b * BlockSize));
                Increment(counter);
            }
            aes.EncryptEcb(counters.AsSpan(0, blocks * BlockSize), keystream, PaddingMode.None);
            Xor(input.Slice(done, length), keystream.AsSpan(0, length), output.Slice(done, length));
        }
        CryptographicOperations.ZeroMemory(keystream);
    }

    /// <summary>Adds one to a big-endian 128-bit counter, carrying across all bytes.</summary>
    public static void Increment(Span<byte> counter)
    {
        for (int i = counter.Length - 1; i >= 0; i--)
            if (++counter[i] != 0)
                return;
    }

    private static void Xor(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> destination)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= a.Length - Vector<byte>.Count; i += Vector<byte>.Count)
                (new Vector<byte>(a[i..]) ^ new Vector<byte>(b[i..])).CopyTo(destination[i..]);
        }
        for (; i < a.Length; i++)
            destination[i] = (byte)(a[i] ^ b[i]);
    }
}
