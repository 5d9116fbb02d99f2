using System.Security.Cryptography;
using Npgsql;

namespace WalkieTalkie.Server.Infrastructure.Sync;

/// <summary>
/// Room ephemeral data that /sync carries but that is not history: typing users, and per room the current event of
/// any other ephemeral type a feature puts up (<see cref="SetAsync"/>). Kept in memory per process; changes travel to
/// other processes by NOTIFY. Versions are per process, so the sync token names the process (instance) whose counter
/// it holds; a token from another process gets everything again.
/// </summary>
public sealed class EphemeralBoard(NpgsqlDataSource dataSource, SyncNotifier notifier, TimeProvider clock)
{
    public const string Channel = "walkie_ephemeral";
    const string TypingType = "m.typing";

    public string Instance { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    long _version;
    readonly ConcurrentDictionary<string, RoomEphemeral> _rooms = new();

    public long Version => Interlocked.Read(ref _version);

    sealed record Entry(JsonObject Content, long? SourceVersion);

    sealed class RoomEphemeral
    {
        public readonly Dictionary<string, DateTimeOffset> Typing = [];
        /// <summary>By event type, in the order the types first appeared.</summary>
        public readonly Dictionary<string, Entry> Entries = [];
        public long Version;
    }

    public Task SetTypingAsync(string roomId, string userId, bool typing, TimeSpan timeout)
    {
        var until = typing ? clock.GetUtcNow() + timeout : (DateTimeOffset?)null;
        ApplyTyping(roomId, userId, until);
        return PublishAsync(new JsonObject
        {
            ["instance"] = Instance, ["room"] = roomId, ["user"] = userId,
            ["until"] = until?.ToUnixTimeMilliseconds(),
        });
    }

    /// <summary>
    /// Shows <paramref name="content"/> as the room's ephemeral event of <paramref name="type"/>. With the version of
    /// its source: changes committed by several processes can reach a board out of order, and one older than the
    /// entry shown is ignored.
    /// </summary>
    public Task SetAsync(string roomId, string type, JsonObject content, long? version = null)
    {
        if (!ApplyEntry(roomId, type, content, version)) return Task.CompletedTask;
        return PublishAsync(new JsonObject
        {
            ["instance"] = Instance, ["room"] = roomId, ["type"] = type, ["content"] = content.DeepClone(), ["version"] = version,
        });
    }

    public void ApplyRemote(string payload)
    {
        if (JsonNode.Parse(payload) is not JsonObject message || message["instance"]?.GetValue<string>() == Instance) return;
        var room = message["room"]!.GetValue<string>();
        if (message["type"] is JsonValue type && message["content"] is JsonObject content)
            ApplyEntry(room, type.GetValue<string>(), (JsonObject)content.DeepClone(), message["version"] is JsonValue v ? v.GetValue<long>() : null);
        else
            ApplyTyping(room, message["user"]!.GetValue<string>(),
                message["until"] is JsonValue until ? DateTimeOffset.FromUnixTimeMilliseconds(until.GetValue<long>()) : null);
    }

    /// <summary>The m.typing and other ephemeral events of a room, if it changed after <paramref name="sinceVersion"/> (null: always).</summary>
    public IReadOnlyList<JsonObject> EventsFor(string roomId, long? sinceVersion)
    {
        if (!_rooms.TryGetValue(roomId, out var room)) return [];
        lock (room)
        {
            if (sinceVersion is { } since && room.Version <= since) return [];
            var now = clock.GetUtcNow();
            var events = new List<JsonObject>
            {
                new()
                {
                    ["type"] = TypingType,
                    ["content"] = new JsonObject
                    {
                        ["user_ids"] = new JsonArray(room.Typing.Where(t => t.Value > now).Select(t => (JsonNode)t.Key).ToArray()),
                    },
                },
            };
            foreach (var (type, entry) in room.Entries)
                events.Add(new JsonObject { ["type"] = type, ["content"] = entry.Content.DeepClone() });
            return events;
        }
    }

    void ApplyTyping(string roomId, string userId, DateTimeOffset? until) => Change(roomId, room =>
    {
        if (until is { } u) room.Typing[userId] = u;
        else room.Typing.Remove(userId);
        return true;
    });

    bool ApplyEntry(string roomId, string type, JsonObject content, long? version) => Change(roomId, room =>
    {
        var shown = room.Entries.GetValueOrDefault(type);
        if (version is { } v && shown?.SourceVersion is { } current && v <= current) return false;
        room.Entries[type] = new Entry(content, version ?? shown?.SourceVersion);
        return true;
    });

    /// <summary>Applies <paramref name="change"/> under the room's lock; when it changed something, bumps the version and wakes /sync.</summary>
    bool Change(string roomId, Func<RoomEphemeral, bool> change)
    {
        var room = _rooms.GetOrAdd(roomId, _ => new RoomEphemeral());
        lock (room)
        {
            if (!change(room)) return false;
            room.Version = Interlocked.Increment(ref _version);
        }
        notifier.Pulse();
        return true;
    }

    async Task PublishAsync(JsonObject message)
    {
        await using var command = dataSource.CreateCommand("select pg_notify(@channel, @payload)");
        command.Parameters.AddWithValue("channel", Channel);
        command.Parameters.AddWithValue("payload", message.ToJsonString());
        await command.ExecuteNonQueryAsync();
    }
}
