using System.Security.Cryptography;

namespace WalkieTalkie.Protocol.Tests;

/// <summary>The kind-2 frame of PROTOCOL.md "E2EE live audio", checked byte by byte against hand-computed values.</summary>
public class EncryptedAudioFrameTests
{
    static readonly AudioFrameHeader Header = new(Channel: 0x0102, Epoch: 0x0304_0506, Seq: 0x0708_090A);
    static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(0xA0 + i)).ToArray();
    static readonly byte[] Opus = [0xF8, 0xFF, 0xFE, 0x01, 0x02, 0x03, 0x04];

    [Fact]
    public void The_header_is_the_audio_header_with_kind_2_and_the_key_index()
    {
        var frame = new byte[EncryptedAudioFrame.HeaderSize];
        EncryptedAudioFrame.WriteHeader(frame, Header, keyIndex: 0x2A);

        Assert.Equal(new byte[] { 1, 2, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x2A }, frame);
    }

    [Fact]
    public void The_iv_is_zero_then_epoch_then_seq_big_endian()
    {
        var iv = new byte[EncryptedAudioFrame.IvSize];
        EncryptedAudioFrame.WriteIv(iv, epoch: 17, seq: 0x0102_0304);

        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 17, 1, 2, 3, 4 }, iv);
    }

    [Fact]
    public void The_aad_is_the_13_header_bytes_with_channel_0()
    {
        var frame = new byte[EncryptedAudioFrame.FrameLength(Opus.Length)];
        EncryptedAudioFrame.WriteHeader(frame, Header, keyIndex: 7);
        var aad = new byte[EncryptedAudioFrame.HeaderSize];
        EncryptedAudioFrame.WriteAad(aad, frame);

        Assert.Equal(new byte[] { 1, 2, 0, 0, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 7 }, aad);
    }

    [Fact]
    public void Seal_is_AES_256_GCM_with_that_iv_and_aad_and_the_tag_last()
    {
        using var aes = new AesGcm(Key, EncryptedAudioFrame.TagSize);
        var frame = new byte[EncryptedAudioFrame.FrameLength(Opus.Length)];
        var length = EncryptedAudioFrame.Seal(aes, Header, keyIndex: 7, Opus, frame);
        Assert.Equal(13 + Opus.Length + 16, length);

        // The same encryption done by hand from the contract's words, with the IV and AAD bytes written out.
        byte[] iv = [0, 0, 0, 0, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A];
        byte[] aad = [1, 2, 0, 0, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 7];
        var ciphertext = new byte[Opus.Length];
        var tag = new byte[16];
        aes.Encrypt(iv, Opus, ciphertext, tag, aad);

        Assert.Equal(new byte[] { 1, 2, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 7 }, frame[..13]);
        Assert.Equal(ciphertext, frame[13..^16]);
        Assert.Equal(tag, frame[^16..]);
        Assert.NotEqual(Opus, frame[13..^16]);
    }

    [Fact]
    public void A_frame_opens_after_the_server_rewrote_its_channel_but_not_after_any_other_change()
    {
        using var aes = new AesGcm(Key, EncryptedAudioFrame.TagSize);
        var frame = new byte[EncryptedAudioFrame.FrameLength(Opus.Length)];
        EncryptedAudioFrame.Seal(aes, Header, keyIndex: 7, Opus, frame);
        var opus = new byte[EncryptedAudioFrame.MaxPlaintextSize];

        AudioFrame.RewriteChannel(frame, 0xBEEF);
        Assert.True(EncryptedAudioFrame.TryOpen(aes, frame, opus, out var written));
        Assert.Equal(Opus, opus[..written]);
        Assert.True(EncryptedAudioFrame.TryParse(frame, out var header, out var keyIndex, out _, out _));
        Assert.Equal((Header with { Channel = 0xBEEF, Kind = AudioFrame.KindEncrypted }, (byte)7), (header, keyIndex));

        foreach (var index in new[] { 4, 8, 12, 13, frame.Length - 1 }) // epoch, seq, key index, ciphertext, tag
        {
            var tampered = frame.ToArray();
            tampered[index] ^= 1;
            Assert.False(EncryptedAudioFrame.TryOpen(aes, tampered, opus, out _), $"a change at byte {index} must not authenticate");
        }
        using var other = new AesGcm(new byte[32], EncryptedAudioFrame.TagSize);
        Assert.False(EncryptedAudioFrame.TryOpen(other, frame, opus, out _));
    }

    [Fact]
    public void The_relay_sees_a_valid_frame_of_kind_2_and_plain_frames_are_not_encrypted_ones()
    {
        using var aes = new AesGcm(Key, EncryptedAudioFrame.TagSize);
        var frame = new byte[EncryptedAudioFrame.FrameLength(EncryptedAudioFrame.MaxPlaintextSize)];
        EncryptedAudioFrame.Seal(aes, Header, 0, new byte[EncryptedAudioFrame.MaxPlaintextSize], frame);
        Assert.Equal(AudioFrame.MaxFrameSize, frame.Length);
        Assert.Equal(AudioFrameReject.None, AudioFrame.Check(frame));

        var plain = new byte[AudioFrame.HeaderSize + 40];
        AudioFrame.WriteHeader(plain, Header);
        Assert.False(EncryptedAudioFrame.TryParse(plain, out _, out _, out _, out _));
        Assert.Throws<ArgumentException>(() =>
            EncryptedAudioFrame.Seal(aes, Header, 0, new byte[EncryptedAudioFrame.MaxPlaintextSize + 1], new byte[2000]));
    }
}
