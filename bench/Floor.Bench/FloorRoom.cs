using WalkieTalkie.Bench;

namespace WalkieTalkie.Bench.Floor;

/// <summary>A walkie-talkie room (default timers, queueing on) whose members each have one consenting device.</summary>
public sealed record FloorRoom(string RoomId, IReadOnlyList<MatrixClient> Members)
{
    public static async Task<FloorRoom> CreateAsync(HttpClient http, int members)
    {
        var creator = await MatrixClient.RegisterAsync(http, "talker");
        // Default timers: every grant schedules its max-talk and end-of-media backstops, as in production.
        var room = await ConsentSetup.CreateWalkieRoomAsync(creator); // the creator consents there
        var escaped = Uri.EscapeDataString(room);
        var all = new List<MatrixClient> { creator };
        for (var i = 1; i < members; i++)
        {
            var member = await MatrixClient.RegisterAsync(http, "talker");
            await member.PostAsync($"/_matrix/client/v3/join/{escaped}", new { });
            all.Add(member);
        }
        foreach (var member in all.Skip(1)) await member.PutAsync($"{FloorDevice.P}/rooms/{escaped}/consent", new { });
        return new FloorRoom(room, all);
    }
}
