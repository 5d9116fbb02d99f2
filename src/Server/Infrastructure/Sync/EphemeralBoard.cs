using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace WalkieTalkie.Server.Infrastructure.Sync;

/// <summary>
/// Room ephemeral data that /sync carries but that is not history: typing users and the MSC4002 floor snapshot.
/// Kept in memory per process; changes travel to other processes by NOTIFY. Versions are per process, so the sync
/// token names the process (instance) whose counter it holds; a token from another process gets everything again.
/// </summary>
public sealed class EphemeralBoard(NpgsqlDataSource dataSource, SyncNotifier notifier, TimeProvider clock)
{
    public const string Channel = "walkie_ephemeral";

    public string Instance { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    long _version;
    readonly ConcurrentDictionary<string, RoomEphemeral> _rooms = new();

    public long Version => Interlocked.Read(ref _version);

    sealed class RoomEphemeral
    {
        public readonly Dictionary<string, DateTimeOffset> Typing = [];
        public JsonObject? Floor;
        public long? FloorVersion;
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

    public Task SetFloorAsync(string roomId, JsonObject floor) => SetFloorAsync(roomId, floor, version: null);

    /// <summary>
    /// With the floor stream's version: floor changes committed by several processes can reach a board out of order,
    /// and one older than the floor shown is ignored.
    /// </summary>
    public Task SetFloorAsync(string roomId, JsonObject floor, long? version)
    {
        if (!ApplyFloor(roomId, floor, version)) return Task.CompletedTask;
        return PublishAsync(new JsonObject
        {
            ["instance"] = Instance, ["room"] = roomId, ["floor"] = floor.DeepClone(), ["floor_version"] = version,
        });
    }

    public void ApplyRemote(string payload)
    {
        if (JsonNode.Parse(payload) is not JsonObject message || message["instance"]?.GetValue<string>() == Instance) return;
        var room = message["room"]!.GetValue<string>();
        if (message["floor"] is JsonObject floor)
            ApplyFloor(room, (JsonObject)floor.DeepClone(), message["floor_version"] is JsonValue v ? v.GetValue<long>() : null);
        else
            ApplyTyping(room, message["user"]!.GetValue<string>(),
                message["until"] is JsonValue until ? DateTimeOffset.FromUnixTimeMilliseconds(until.GetValue<long>()) : null);
    }

    /// <summary>The m.typing and floor events of a room, if it changed after <paramref name="sinceVersion"/> (null: always).</summary>
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
                    ["type"] = "m.typing",
                    ["content"] = new JsonObject
                    {
                        ["user_ids"] = new JsonArray(room.Typing.Where(t => t.Value > now).Select(t => (JsonNode)t.Key).ToArray()),
                    },
                },
            };
            if (room.Floor is not null)
                events.Add(new JsonObject { ["type"] = "org.matrix.msc4002.floor", ["content"] = room.Floor.DeepClone() });
            return events;
        }
    }

    void ApplyTyping(string roomId, string userId, DateTimeOffset? until) => Change(roomId, room =>
    {
        if (until is { } u) room.Typing[userId] = u;
        else room.Typing.Remove(userId);
    });

    bool ApplyFloor(string roomId, JsonObject floor, long? version)
    {
        var room = _rooms.GetOrAdd(roomId, _ => new RoomEphemeral());
        lock (room)
        {
            if (version is { } v && room.FloorVersion is { } shown && v <= shown) return false;
            room.Floor = floor;
            room.FloorVersion = version ?? room.FloorVersion;
            room.Version = Interlocked.Increment(ref _version);
        }
        notifier.Pulse();
        return true;
    }

    void Change(string roomId, Action<RoomEphemeral> change)
    {
        var room = _rooms.GetOrAdd(roomId, _ => new RoomEphemeral());
        lock (room)
        {
            change(room);
            room.Version = Interlocked.Increment(ref _version);
        }
        notifier.Pulse();
    }

    async Task PublishAsync(JsonObject message)
    {
        await using var command = dataSource.CreateCommand("select pg_notify(@channel, @payload)");
        command.Parameters.AddWithValue("channel", Channel);
        command.Parameters.AddWithValue("payload", message.ToJsonString());
        await command.ExecuteNonQueryAsync();
    }
}
