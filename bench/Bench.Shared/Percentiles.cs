namespace WalkieTalkie.Bench;

/// <summary>Nearest-rank percentiles of a sample (sorted in place).</summary>
public readonly record struct Percentiles(int Count, double P50, double P99, double Max)
{
    public static Percentiles Of(Span<float> values)
    {
        if (values.IsEmpty) return new(0, double.NaN, double.NaN, double.NaN);
        values.Sort();
        return new(values.Length, At(values, 0.50), At(values, 0.99), values[^1]);
    }

    static double At(ReadOnlySpan<float> sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>"p50 / p99 / max" in ms, or a dash for no sample.</summary>
    public string Format() => Count == 0 ? "—" : $"{P50:F2} / {P99:F2} / {Max:F2}";

    public static Percentiles Of(List<double> values) =>
        Of(values.Select(v => (float)v).ToArray().AsSpan());
}
