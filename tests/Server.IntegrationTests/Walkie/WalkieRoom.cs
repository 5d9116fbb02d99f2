using System.Diagnostics;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

/// <summary>
/// A room with MSC4002 switched on: created by <see cref="Owner"/> (power level 100), members may send their
/// <c>org.matrix.msc4002.member</c> state (power level 0 for it), and everybody joined. Floor and consent calls as a client makes them.
/// </summary>
public sealed class WalkieRoom
{
    public const string P = "/_matrix/client/unstable/org.matrix.msc4002";
    public const string MemberType = "org.matrix.msc4002.member";
    public const string ConfigType = "org.matrix.msc4002.walkie_talkie";

    public string Id { get; }
    public MatrixTestClient Owner { get; }

    WalkieRoom(string id, MatrixTestClient owner)
    {
        Id = id;
        Owner = owner;
    }

    /// <param name="config">Content of the walkie_talkie state, or null for a room without it.</param>
    /// <param name="powerLevels">Power levels of members besides the owner (who has 100).</param>
    public static async Task<WalkieRoom> CreateAsync(MatrixTestClient owner, object? config, IEnumerable<MatrixTestClient>? members = null,
        IDictionary<string, int>? powerLevels = null)
    {
        var users = new Dictionary<string, int> { [owner.UserId] = 100 };
        foreach (var (user, level) in powerLevels ?? new Dictionary<string, int>()) users[user] = level;
        var created = await owner.PostJsonAsync("/_matrix/client/v3/createRoom", new
        {
            preset = "public_chat",
            power_level_content_override = new { users, events = new Dictionary<string, int> { [MemberType] = 0 } },
        });
        var room = new WalkieRoom(created["room_id"]!.GetValue<string>(), owner);
        if (config is not null) await owner.PutJsonAsync($"/_matrix/client/v3/rooms/{room.Id}/state/{ConfigType}", config);
        foreach (var member in members ?? []) await room.JoinAsync(member);
        return room;
    }

    /// <summary>A room made some other way (e.g. with initial_state), driven by these steps.</summary>
    public static WalkieRoom Attach(string roomId, MatrixTestClient owner) => new(roomId, owner);

    public Task JoinAsync(MatrixTestClient client) => client.PostJsonAsync($"/_matrix/client/v3/rooms/{Id}/join", new { });

    public Task<HttpResponseMessage> PutConsentAsync(MatrixTestClient client, object? body = null) =>
        client.Http.PutAsJsonAsync($"{P}/rooms/{Id}/consent", body ?? new { });

    public async Task<JsonObject> ConsentAsync(MatrixTestClient client, long? durationMs = null) =>
        await (await PutConsentAsync(client, durationMs is null ? new { } : new { duration_ms = durationMs })).EnsureMatrixSuccess();

    public Task<HttpResponseMessage> DeleteConsentAsync(MatrixTestClient client) => client.Http.DeleteAsync($"{P}/rooms/{Id}/consent");

    public Task<HttpResponseMessage> RequestAsync(MatrixTestClient client, string priority = "normal") =>
        client.Http.PostAsJsonAsync($"{P}/rooms/{Id}/floor/request", new { priority });

    public async Task<JsonObject> RequestOkAsync(MatrixTestClient client, string priority = "normal") =>
        await (await RequestAsync(client, priority)).EnsureMatrixSuccess();

    public Task<HttpResponseMessage> ReleaseAsync(MatrixTestClient client, long epoch) =>
        client.Http.PostAsJsonAsync($"{P}/rooms/{Id}/floor/release", new { epoch });

    public Task<JsonObject> FloorAsync(MatrixTestClient client) => client.GetJsonAsync($"{P}/rooms/{Id}/floor");

    /// <summary>The device's member state as GET /rooms/{id}/state/{type}/{key} returns it.</summary>
    public Task<JsonObject> MemberStateAsync(MatrixTestClient reader, MatrixTestClient device) =>
        reader.GetJsonAsync($"/_matrix/client/v3/rooms/{Id}/state/{MemberType}/{Uri.EscapeDataString($"_{device.UserId}_{device.DeviceId}")}");

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds; returns the last value read and when.</summary>
    public static async Task<(T Value, TimeSpan Elapsed)> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout,
        string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value)) return (value, watch.Elapsed);
            if (watch.Elapsed > timeout) Assert.Fail($"{what}: still not after {timeout.TotalSeconds:0.#} s; last: {value}");
            await Task.Delay(50);
        }
    }

    public static string? Holder(JsonObject floor) => floor["holder"]?["device_id"]?.GetValue<string>();
    public static string State(JsonObject floor) => floor["state"]!.GetValue<string>();
    public static long Epoch(JsonObject floor) => floor["epoch"]!.GetValue<long>();
}
