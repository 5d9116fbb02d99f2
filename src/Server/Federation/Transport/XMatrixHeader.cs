using System.Text;

namespace WalkieTalkie.Server.Federation.Transport;

/// <summary>`Authorization: X-Matrix origin=...,destination=...,key="ed25519:...",sig="..."` (spec: Request Authentication).</summary>
public sealed record XMatrixHeader(string Origin, string? Destination, string Key, string Signature)
{
    public const string Scheme = "X-Matrix";

    public override string ToString() =>
        $"{Scheme} origin=\"{Origin}\",destination=\"{Destination}\",key=\"{Key}\",sig=\"{Signature}\"";

    /// <summary>The header's parameters, quoted or not, names case-insensitive; null when it is no X-Matrix header or lacks one.</summary>
    public static XMatrixHeader? Parse(string? header)
    {
        if (header is null || !header.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase)) return null;
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var text = header.AsSpan(Scheme.Length + 1);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ' ' || text[i] == ',')) i++;
            var nameStart = i;
            while (i < text.Length && text[i] != '=') i++;
            if (i >= text.Length) break;
            var name = text[nameStart..i].Trim().ToString();
            i++;
            var value = new StringBuilder();
            if (i < text.Length && text[i] == '"')
            {
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    value.Append(text[i++]);
                }
                if (i >= text.Length) return null;
                i++;
            }
            else
            {
                while (i < text.Length && text[i] != ',') value.Append(text[i++]);
            }
            values.TryAdd(name, value.ToString().Trim());
        }
        return values.TryGetValue("origin", out var origin) && values.TryGetValue("key", out var key) && values.TryGetValue("sig", out var sig)
            && origin.Length > 0 && key.Length > 0 && sig.Length > 0
            ? new XMatrixHeader(origin, values.GetValueOrDefault("destination"), key, sig)
            : null;
    }
}
