using System.Globalization;
using System.Text;

namespace WalkieTalkie.Server.Federation.Crypto;

/// <summary>A value that has no canonical JSON form (a float, an integer out of range, a duplicate key).</summary>
public sealed class CanonicalJsonException(string message) : Exception(message);

/// <summary>
/// Matrix canonical JSON (appendices, "Canonical JSON"): object keys sorted by code point, no insignificant whitespace,
/// UTF-8, only the escapes JSON requires, integers in [-(2^53)+1, 2^53-1] and no floats.
/// </summary>
public static class CanonicalJson
{
    public const long MaxSafeInteger = 9007199254740991;

    public static byte[] Encode(JsonNode? node) => Encode(JsonSerializer.SerializeToElement(node));

    public static byte[] Encode(JsonElement element)
    {
        var text = new StringBuilder();
        Write(text, element);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static string ToText(JsonNode? node) => Encoding.UTF8.GetString(Encode(node));

    static void Write(StringBuilder text, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var members = new List<KeyValuePair<string, JsonElement>>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in element.EnumerateObject())
                {
                    if (!seen.Add(member.Name)) throw new CanonicalJsonException($"duplicate key \"{member.Name}\"");
                    members.Add(new(member.Name, member.Value));
                }
                members.Sort((a, b) => CodePointOrder.Instance.Compare(a.Key, b.Key));
                text.Append('{');
                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    WriteString(text, members[i].Key);
                    text.Append(':');
                    Write(text, members[i].Value);
                }
                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first) text.Append(',');
                    first = false;
                    Write(text, item);
                }
                text.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(text, element.GetString()!);
                break;
            case JsonValueKind.Number:
                text.Append(Integer(element).ToString(CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.True: text.Append("true"); break;
            case JsonValueKind.False: text.Append("false"); break;
            case JsonValueKind.Null: text.Append("null"); break;
            default: throw new CanonicalJsonException($"no JSON value ({element.ValueKind})");
        }
    }

    /// <summary>The number as an integer; 1e10 and -0 are integers written another way, 1.5 is a float and refused.</summary>
    static long Integer(JsonElement number)
    {
        if (number.TryGetInt64(out var n)) return InRange(n, number);
        if (number.TryGetDecimal(out var d) && d == decimal.Truncate(d) && Math.Abs(d) <= MaxSafeInteger) return (long)d;
        throw new CanonicalJsonException($"{number.GetRawText()} is not an integer in the canonical JSON range");
    }

    static long InRange(long n, JsonElement raw) =>
        n is >= -MaxSafeInteger and <= MaxSafeInteger ? n : throw new CanonicalJsonException($"{raw.GetRawText()} is out of the canonical JSON range");

    static void WriteString(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case < ' ': text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }
        text.Append('"');
    }

    /// <summary>Orders by Unicode code point (the same as UTF-8 byte order), not by UTF-16 code unit.</summary>
    sealed class CodePointOrder : IComparer<string>
    {
        public static readonly CodePointOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = x!.EnumerateRunes();
            var b = y!.EnumerateRunes();
            while (true)
            {
                var moreA = a.MoveNext();
                var moreB = b.MoveNext();
                if (!moreA || !moreB) return moreA.CompareTo(moreB);
                var order = a.Current.Value.CompareTo(b.Current.Value);
                if (order != 0) return order;
            }
        }
    }
}
