using System.Text;

namespace WalkieTalkie.Server.IntegrationTests.Hostile;

/// <summary>Random hostile pieces of requests: path values, query strings, JSON (valid, broken, nested, huge), content types.</summary>
public sealed class FuzzInput(Random random, IReadOnlyList<string> knownIds)
{
    static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

    static readonly string[] Junk =
    [
        "%00", "a%00b", "%ff", "%fe%ff", "%c0%af", "%2F", "..", "%2e%2e", "💥", "\u202e", "%e2%80%ae", "%ud800", "%25",
        "!", "@", "#", "$", ":", "@:", "!:localhost", "@x:", "#x:localhost", " ", "%20", "+", "%0a", "%0d%0a", "null", "{}", "[]",
        "-1", "0", "99999999999999999999", "NaN", "true",
    ];

    static readonly string[] Fields =
    [
        "type", "user", "password", "identifier", "username", "auth", "session", "device_id", "initial_device_display_name",
        "displayname", "avatar_url", "display_name", "room_id", "user_id", "reason", "typing", "timeout", "messages",
        "device_keys", "one_time_keys", "fallback_keys", "master_key", "self_signing_key", "user_signing_key", "keys",
        "signatures", "algorithms", "preset", "visibility", "invite", "initial_state", "name", "topic", "room_version",
        "creation_content", "power_level_content_override", "room_alias_name", "is_direct", "actions", "enabled", "devices",
        "room", "timeline", "state", "limit", "types", "not_types", "lazy_load_members", "m.read", "m.fully_read",
        "m.read.private", "thread_id", "msgtype", "body", "content", "state_key", "duration_ms", "priority", "epoch",
        "enabled", "recording", "inhibit_login", "token", "kind", "*", "",
    ];

    static readonly string[] QueryNames =
    [
        "limit", "from", "to", "dir", "filter", "since", "timeout", "filename", "kind", "format", "membership",
        "not_membership", "full_state", "set_presence", "username", "access_token", "allow_redirect", "x",
    ];

    static readonly string[] ContentTypes =
    [
        "application/json", "application/json", "application/json", "text/plain", "application/octet-stream",
        "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/x-www-form-urlencoded", "image/png",
    ];

    public string Method(string routeMethod) => random.NextDouble() < 0.85 ? routeMethod : Methods[random.Next(Methods.Length)];

    /// <summary>An escaped path segment: often a plausible or real id, otherwise junk, unicode or overlong.</summary>
    public string PathValue(string parameter)
    {
        var roll = random.NextDouble();
        if (roll < 0.3) return Uri.EscapeDataString(RouteCatalog.Sample(parameter));
        if (roll < 0.5 && knownIds.Count > 0) return Uri.EscapeDataString(knownIds[random.Next(knownIds.Count)]);
        if (roll < 0.85) return Junk[random.Next(Junk.Length)];
        // Past Kestrel's 8 KiB request line now and then (414, and the connection closes).
        if (roll < 0.9) return new string('a', random.Next(10) == 0 ? random.Next(8200, 9000) : random.Next(300, 2000));
        return Uri.EscapeDataString(RandomText(random.Next(1, 40)));
    }

    public string Query()
    {
        if (random.NextDouble() < 0.6) return "";
        var parts = Enumerable.Range(0, random.Next(1, 5)).Select(_ =>
        {
            var name = random.NextDouble() < 0.8 ? QueryNames[random.Next(QueryNames.Length)] : Junk[random.Next(Junk.Length)];
            // Long-polls would only make the fuzzer wait.
            var value = name == "timeout" ? random.Next(0, 20).ToString() : QueryValue();
            return $"{name}={value}";
        });
        return "?" + string.Join('&', parts);
    }

    string QueryValue() => random.Next(6) switch
    {
        0 => Junk[random.Next(Junk.Length)],
        1 => random.Next(-5, 100_000).ToString(),
        2 => Uri.EscapeDataString(RandomJson(3)),
        3 => knownIds.Count > 0 ? Uri.EscapeDataString(knownIds[random.Next(knownIds.Count)]) : "x",
        4 => new string('9', random.Next(1, 40)),
        _ => Uri.EscapeDataString(RandomText(random.Next(0, 30))),
    };

    /// <summary>A body and its content type (either may be null: no body, no Content-Type).</summary>
    public (byte[]? Body, string? ContentType) Body(bool expectsBody)
    {
        if (!expectsBody && random.NextDouble() < 0.7) return (null, null);
        var type = random.NextDouble() < 0.1 ? null : ContentTypes[random.Next(ContentTypes.Length)];
        var roll = random.NextDouble();
        byte[] body;
        if (roll < 0.06) body = [];
        else if (roll < 0.45) body = Encoding.UTF8.GetBytes(RandomObject(random.Next(0, 4)));
        else if (roll < 0.6) body = Truncated(RandomObject(3));
        else if (roll < 0.7) body = Encoding.UTF8.GetBytes(new string('[', random.Next(60, 3000)) + new string(']', random.Next(0, 3000)));
        else if (roll < 0.77) body = Encoding.UTF8.GetBytes(RandomJson(2));
        else if (roll < 0.85)
        {
            body = new byte[random.Next(1, 4000)];
            random.NextBytes(body);
        }
        // Rare and only just too large: a streamed body past the limit costs both sides the whole transfer.
        else if (roll < 0.853) body = Encoding.UTF8.GetBytes("{\"body\":\"" + new string('x', random.Next(60_000, 1_100_000)) + "\"}");
        else body = Encoding.UTF8.GetBytes(Evil());
        return (body, type);
    }

    /// <summary>Strings that once reached PostgreSQL: U+0000, unpaired surrogates, escapes of both in keys and values.</summary>
    string Evil() => random.Next(6) switch
    {
        0 => """{"displayname":"a\u0000b"}""",
        1 => """{"body":"\ud800","msgtype":"m.text"}""",
        2 => """{"k\u0000":1}""",
        3 => """{"content":{"x":"\udc00\ud800"}}""",
        4 => "{\"a\":\"\u0000\"}",
        _ => """{"a":"\uDBFF\uDFFF ok \u0000"}""",
    };

    byte[] Truncated(string json) => Encoding.UTF8.GetBytes(json[..random.Next(0, Math.Max(1, json.Length))]);

    public string RandomObject(int depth)
    {
        var members = Enumerable.Range(0, random.Next(0, 6))
            .Select(_ => $"{JsonSerializer.Serialize(Fields[random.Next(Fields.Length)])}:{RandomJson(depth)}");
        return "{" + string.Join(',', members) + "}";
    }

    public string RandomJson(int depth) => (depth <= 0 ? random.Next(6) : random.Next(9)) switch
    {
        0 => "null",
        1 => random.NextDouble() < 0.5 ? "true" : "false",
        2 => random.Next(5) == 0 ? "1e999" : (random.NextDouble() * 1e12 - 5e11).ToString(System.Globalization.CultureInfo.InvariantCulture),
        3 => random.Next(-10, 100_000).ToString(),
        4 => JsonSerializer.Serialize(RandomText(random.Next(0, 20))),
        5 => JsonSerializer.Serialize(knownIds.Count > 0 && random.NextDouble() < 0.5 ? knownIds[random.Next(knownIds.Count)] : Junk[random.Next(Junk.Length)]),
        6 or 7 => RandomObject(depth - 1),
        _ => "[" + string.Join(',', Enumerable.Range(0, random.Next(0, 4)).Select(_ => RandomJson(depth - 1))) + "]",
    };

    public string RandomText(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
            chars[i] = random.Next(10) switch
            {
                0 => (char)random.Next(0, 32),
                1 => (char)random.Next(0xD800, 0xE000),
                2 => (char)random.Next(0x80, 0xFFFF),
                _ => (char)random.Next(32, 127),
            };
        return new string(chars);
    }

    /// <summary>A WebSocket message: random bytes, frame-shaped bytes, or control-message-shaped (or broken) JSON.</summary>
    public (byte[] Bytes, bool Text) SocketMessage()
    {
        switch (random.Next(5))
        {
            case 0:
            {
                var bytes = new byte[random.Next(0, 3000)];
                random.NextBytes(bytes);
                return (bytes, false);
            }
            case 1:
            {
                var bytes = new byte[12 + random.Next(0, 1600)];
                random.NextBytes(bytes);
                bytes[0] = 1;
                bytes[1] = (byte)random.Next(0, 3);
                return (bytes, false);
            }
            case 2:
                return (Encoding.UTF8.GetBytes(RandomText(random.Next(0, 200))), true);
            default:
            {
                var types = new[] { "ping", "subscribe", "unsubscribe", "floor.request", "floor.release", "x", "" };
                var json = $$"""{"type":{{JsonSerializer.Serialize(types[random.Next(types.Length)])}},"rooms":{{RandomJson(2)}},"room_id":{{RandomJson(1)}},"epoch":{{RandomJson(0)}},"priority":{{RandomJson(0)}}}""";
                return (Encoding.UTF8.GetBytes(random.Next(4) == 0 ? json[..random.Next(json.Length)] : json), true);
            }
        }
    }
}
