using System.Diagnostics;

namespace WalkieTalkie.Bench;

/// <summary>
/// One walkie room, <c>users</c> members, <c>devices</c> devices of theirs (logins first, untimed), then every device
/// consents (PUT …/consent, 8 at a time): the wall time and the server process's CPU of the consents alone.
/// </summary>
public static class ConsentSetup
{
    public const string P = "/_matrix/client/unstable/org.matrix.msc4002";

    public sealed record Result(int Devices, double Seconds, double CpuSeconds);

    public static async Task<(string RoomId, MatrixClient Owner, MatrixClient[] Devices, Result Timing)> RunAsync(
        HttpClient http, int devices, int users, Func<TimeSpan> serverCpu)
    {
        var (roomId, owner, created) = await PrepareAsync(http, devices, users);
        return (roomId, owner, created, await ConsentAsync(roomId, created, serverCpu));
    }

    /// <summary>The room (walkie on, the owner consenting) and its members' devices, none of them consenting yet.</summary>
    public static async Task<(string RoomId, MatrixClient Owner, MatrixClient[] Devices)> PrepareAsync(HttpClient http, int devices, int users)
    {
        var owner = await MatrixClient.RegisterAsync(http, "talker");
        var roomId = await CreateWalkieRoomAsync(owner);
        var room = Uri.EscapeDataString(roomId);

        var accounts = new List<MatrixClient>();
        for (var u = 0; u < users; u++)
        {
            var account = await MatrixClient.RegisterAsync(http, "listener");
            await account.PostAsync($"/_matrix/client/v3/join/{room}", new { });
            accounts.Add(account);
        }
        var created = new MatrixClient[devices];
        await Parallel.ForEachAsync(Enumerable.Range(0, devices), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            created[i] = i < users ? accounts[i] : await accounts[i % users].LoginAgainAsync());
        return (roomId, owner, created);
    }

    /// <summary>A public room of <paramref name="owner"/> with walkie-talkie on, anyone may consent, the owner consenting.</summary>
    public static async Task<string> CreateWalkieRoomAsync(MatrixClient owner)
    {
        var roomId = (await owner.PostAsync("/_matrix/client/v3/createRoom", new
        {
            preset = "public_chat",
            power_level_content_override = new { events = new Dictionary<string, int> { ["org.matrix.msc4002.member"] = 0 } },
        }))["room_id"]!.GetValue<string>();
        var room = Uri.EscapeDataString(roomId);
        await owner.PutAsync($"/_matrix/client/v3/rooms/{room}/state/org.matrix.msc4002.walkie_talkie", new { enabled = true });
        await owner.PutAsync($"{P}/rooms/{room}/consent", new { });
        return roomId;
    }

    /// <summary>Every one of <paramref name="devices"/> consents permanently (8 at a time): wall time and server CPU.</summary>
    public static async Task<Result> ConsentAsync(string roomId, IReadOnlyCollection<MatrixClient> devices, Func<TimeSpan> serverCpu)
    {
        var room = Uri.EscapeDataString(roomId);
        var cpu = serverCpu();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(devices, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (device, _) =>
            await device.PutAsync($"{P}/rooms/{room}/consent", new { })); // permanent consent
        return new Result(devices.Count, watch.Elapsed.TotalSeconds, (serverCpu() - cpu).TotalSeconds);
    }
}
