using WalkieTalkie.Bench;

namespace WalkieTalkie.Bench.Floor;

/// <summary>A walkie-talkie room (default timers, queueing on) whose members each have one consenting device.</summary>
public sealed record FloorRoom(string RoomId, IReadOnlyList<MatrixClient> Members)
{
    public static async Task<FloorRoom> CreateAsync(HttpClient http, int members)
    {
        var creator = await MatrixClient.RegisterAsync(http, "talker");
        var room = (await creator.PostAsync("/_matrix/client/v3/createRoom", new
        {
            preset = "public_chat",
            power_level_content_override = new { events = new Dictionary<string, int> { ["org.matrix.msc4002.member"] = 0 } },
        }))["room_id"]!.GetValue<string>();
        var escaped = Uri.EscapeDataString(room);
        // Default timers: every grant schedules its max-talk and end-of-media backstops, as in production.
        await creator.PutAsync($"/_matrix/client/v3/rooms/{escaped}/state/org.matrix.msc4002.walkie_talkie", new { enabled = true });
        var all = new List<MatrixClient> { creator };
        for (var i = 1; i < members; i++)
        {
            var member = await MatrixClient.RegisterAsync(http, "talker");
            await member.PostAsync($"/_matrix/client/v3/join/{escaped}", new { });
            all.Add(member);
        }
        foreach (var member in all) await member.PutAsync($"{FloorDevice.P}/rooms/{escaped}/consent", new { });
        return new FloorRoom(room, all);
    }
}
