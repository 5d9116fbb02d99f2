namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>What /keys/upload answers and /sync reports as `device_one_time_keys_count` and `device_unused_fallback_key_types`.</summary>
public static class KeyCounts
{
    public const string SignedCurve25519 = "signed_curve25519";

    public static async Task<(IReadOnlyDictionary<string, int> OneTimeKeyCounts, IReadOnlyList<string> UnusedFallbackKeyTypes)> ForDeviceAsync(
        IQuerySession session, DeviceRef device, CancellationToken ct)
    {
        var algorithms = await session.Query<OneTimeKey>()
            .Where(k => k.UserId == device.UserId && k.DeviceId == device.DeviceId)
            .Select(k => k.Algorithm)
            .ToListAsync(ct);
        // Clients top up when a count is low; an explicit 0 for the Olm algorithm tells them so.
        var counts = new Dictionary<string, int> { [SignedCurve25519] = 0 };
        foreach (var algorithm in algorithms) counts[algorithm] = counts.GetValueOrDefault(algorithm) + 1;

        var unused = await session.Query<FallbackKey>()
            .Where(k => k.UserId == device.UserId && k.DeviceId == device.DeviceId && !k.Used)
            .Select(k => k.Algorithm)
            .ToListAsync(ct);
        return (counts, unused.Order(StringComparer.Ordinal).ToList());
    }
}
