namespace WalkieTalkie.Server.Federation.Crypto;

/// <summary>Matrix's base64: standard alphabet, no padding when encoding; padded, unpadded and URL-safe accepted when decoding.</summary>
public static class UnpaddedBase64
{
    public static string Encode(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    public static bool TryDecode(string? text, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrEmpty(text)) return false;
        var standard = text.TrimEnd('=').Replace('-', '+').Replace('_', '/');
        if (standard.Length % 4 == 1) return false;
        standard = standard.PadRight(standard.Length + (4 - standard.Length % 4) % 4, '=');
        try
        {
            bytes = Convert.FromBase64String(standard);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
