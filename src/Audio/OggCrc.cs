namespace WalkieTalkie.Audio;

/// <summary>The Ogg page checksum (RFC 3533): CRC-32, polynomial 0x04C11DB7, initial value 0, no reflection, no final XOR.</summary>
public static class OggCrc
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>Continues <paramref name="crc"/> over <paramref name="data"/> (start with 0).</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
            crc = (crc << 8) ^ Table[(byte)(crc >> 24) ^ b];
        return crc;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Update(0, data);

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint r = i << 24;
            for (int bit = 0; bit < 8; bit++)
                r = (r & 0x8000_0000) != 0 ? (r << 1) ^ 0x04C1_1DB7 : r << 1;
            table[i] = r;
        }
        return table;
    }
}
