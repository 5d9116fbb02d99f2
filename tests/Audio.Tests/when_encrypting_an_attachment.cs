using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace WalkieTalkie.Audio.Tests;

public class when_encrypting_an_attachment
{
    [Fact]
    public void decrypt_returns_what_encrypt_was_given()
    {
        byte[] plaintext = RandomNumberGenerator.GetBytes(100_003); // several keystream chunks, not a block multiple

        var (ciphertext, info) = EncryptedAttachment.Encrypt(plaintext);

        Assert.Equal(plaintext.Length, ciphertext.Length);
        Assert.NotEqual(plaintext, ciphertext);
        Assert.Equal(plaintext, EncryptedAttachment.Decrypt(ciphertext, info));
    }

    [Fact]
    public void empty_and_tiny_files_round_trip()
    {
        foreach (int size in new[] { 0, 1, 15, 16, 17 })
        {
            byte[] plaintext = RandomNumberGenerator.GetBytes(size);
            var (ciphertext, info) = EncryptedAttachment.Encrypt(plaintext);
            Assert.Equal(plaintext, EncryptedAttachment.Decrypt(ciphertext, info));
        }
    }

    [Fact]
    public void aes_ctr_matches_NIST_SP_800_38A_F_5_5()
    {
        // CTR-AES256.Encrypt; the counter's last bytes fcfdfeff → fcfdff00 exercise the carry.
        byte[] key = Convert.FromHexString("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        byte[] counter = Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        byte[] plaintext = Convert.FromHexString(
            "6bc1bee22e409f96e93d7e117393172a" + "ae2d8a571e03ac9c9eb76fac45af8e51" +
            "30c81c46a35ce411e5fbc1191a0a52ef" + "f69f2445df4f9b17ad2b417be66c3710");
        byte[] expected = Convert.FromHexString(
            "601ec313775789a5b7a7f504bbf3d228" + "f443e3ca4d62b59aca84e990cacaf5c5" +
            "2b0930daa23de94ce87017ba2d84988d" + "dfc9c58db67aada613c2dd08457941a6");

        var ciphertext = new byte[plaintext.Length];
        AesCtr.Transform(key, counter, plaintext, ciphertext);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(ciphertext));

        AesCtr.Transform(key, counter, ciphertext, ciphertext); // in place, the same operation decrypts
        Assert.Equal(plaintext, ciphertext);
    }

    [Fact]
    public void counter_carries_across_the_64_bit_boundary_big_endian()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] counter = Convert.FromHexString("0011223344556677ffffffffffffffff");
        var keystream = new byte[32];
        AesCtr.Transform(key, counter, new byte[32], keystream);

        // Reference: ECB of the two counter blocks written out by hand.
        using var aes = Aes.Create();
        aes.Key = key;
        byte[] blocks = Convert.FromHexString("0011223344556677ffffffffffffffff" + "00112233445566780000000000000000");
        Assert.Equal(aes.EncryptEcb(blocks, PaddingMode.None), keystream);
    }

    [Fact]
    public void increment_wraps_the_whole_128_bits()
    {
        byte[] counter = Convert.FromHexString("ffffffffffffffffffffffffffffffff");
        AesCtr.Increment(counter);
        Assert.Equal(new byte[16], counter);
    }

    [Fact]
    public void tampered_ciphertext_fails_the_hash_check()
    {
        var (ciphertext, info) = EncryptedAttachment.Encrypt(RandomNumberGenerator.GetBytes(5000));
        ciphertext[1234] ^= 0x80;

        var error = Assert.Throws<EncryptedAttachmentException>(() => EncryptedAttachment.Decrypt(ciphertext, info));
        Assert.Contains("SHA-256", error.Message);
    }

    [Fact]
    public void wrong_version_key_or_iv_are_refused()
    {
        var (ciphertext, info) = EncryptedAttachment.Encrypt(new byte[64]);

        Assert.Throws<EncryptedAttachmentException>(() => EncryptedAttachment.Decrypt(ciphertext, info with { V = "v1" }));
        Assert.Throws<EncryptedAttachmentException>(() => EncryptedAttachment.Decrypt(ciphertext, info with { Key = info.Key with { K = "AAAA" } }));
        Assert.Throws<EncryptedAttachmentException>(() => EncryptedAttachment.Decrypt(ciphertext, info with { Iv = "AAAAAAAA" }));
        Assert.Throws<EncryptedAttachmentException>(() => EncryptedAttachment.Decrypt(ciphertext, info with { Hashes = new Dictionary<string, string>() }));
        Assert.Throws<EncryptedAttachmentException>(() => EncryptedAttachment.Decrypt(ciphertext, info with { Key = info.Key with { KeyOps = ["encrypt"] } }));
    }

    [Fact]
    public void info_has_the_spec_shape_and_encodings()
    {
        var (ciphertext, info) = EncryptedAttachment.Encrypt(RandomNumberGenerator.GetBytes(1000));

        byte[] iv = Convert.FromBase64String(info.Iv + "==");
        Assert.Equal(16, iv.Length);
        Assert.Equal(new byte[8], iv[8..]); // lower 64 bits: the counter, starting at 0
        Assert.NotEqual(new byte[8], iv[..8]);
        Assert.Equal(22, info.Iv.Length); // unpadded standard base64
        Assert.Equal(43, info.Key.K.Length); // unpadded base64url of 32 bytes
        Assert.DoesNotContain('=', info.Key.K);
        Assert.Equal(32, Base64Url.DecodeFromChars(info.Key.K).Length);
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(ciphertext)).TrimEnd('='), info.Hashes["sha256"]);

        var json = JsonSerializer.SerializeToNode(info with { Url = "mxc://example.org/abc" })!.AsObject();
        Assert.Equal(["url", "key", "iv", "hashes", "v"], json.Select(p => p.Key));
        Assert.Equal("v2", (string?)json["v"]);
        var key = json["key"]!.AsObject();
        Assert.Equal(["kty", "key_ops", "alg", "k", "ext"], key.Select(p => p.Key));
        Assert.Equal("oct", (string?)key["kty"]);
        Assert.Equal("A256CTR", (string?)key["alg"]);
        Assert.True((bool)key["ext"]!);
        Assert.Equal(["encrypt", "decrypt"], key["key_ops"]!.AsArray().Select(n => (string?)n));
        Assert.DoesNotContain("url", JsonSerializer.SerializeToNode(info)!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void two_encryptions_never_share_key_or_iv()
    {
        var (_, a) = EncryptedAttachment.Encrypt(new byte[10]);
        var (_, b) = EncryptedAttachment.Encrypt(new byte[10]);

        Assert.NotEqual(a.Key.K, b.Key.K);
        Assert.NotEqual(a.Iv, b.Iv);
    }

    [Fact]
    public void the_spec_example_deserialises()
    {
        const string specFile = """
            {"url": "mxc://example.org/FHyPlCeYUSFFxlgbQYZmoEoe", "mimetype": "image/jpeg", "v": "v2",
             "key": {"alg": "A256CTR", "ext": true, "k": "aWF6-32KGYaC3A_FEUCk1Bt0JA37zP0wrStgmdCaW-0",
                     "key_ops": ["encrypt","decrypt"], "kty": "oct"},
             "iv": "w+sE15fzSc0AAAAAAAAAAA",
             "hashes": {"sha256": "fdSLu/YkRx3Wyh3KQabP3rd6+SFiKg5lsJZQHtkSAYA"}}
            """;

        var info = JsonSerializer.Deserialize<EncryptedFile>(specFile)!;

        Assert.Equal("mxc://example.org/FHyPlCeYUSFFxlgbQYZmoEoe", info.Url);
        Assert.Equal("aWF6-32KGYaC3A_FEUCk1Bt0JA37zP0wrStgmdCaW-0", info.Key.K);
        Assert.Equal(32, Base64Url.DecodeFromChars(info.Key.K).Length);
        Assert.Equal("w+sE15fzSc0AAAAAAAAAAA", info.Iv);
        // Its hash does not match an arbitrary file: Decrypt checks before it decrypts.
        Assert.Throws<EncryptedAttachmentException>(() => EncryptedAttachment.Decrypt(new byte[10], info));
    }
}
