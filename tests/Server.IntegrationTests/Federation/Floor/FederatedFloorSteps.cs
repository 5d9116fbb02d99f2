using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;
using WalkieTalkie.Server.IntegrationTests.Federation.Rooms;
using WalkieTalkie.Server.IntegrationTests.Walkie;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Floor;

/// <summary>A walkie-talkie room of hs1 (alice, its creator, decides the floor by default) that users of hs2 joined, all consenting.</summary>
public static class FederatedFloorSteps
{
    /// <returns>The room and its members, hs1's first, each with consent that both servers' room state shows.</returns>
    public static async Task<(WalkieRoom Room, MatrixTestClient[] Hs1Users, MatrixTestClient[] Hs2Users)> WalkieRoomAsync(
        this FederationPair pair, object config, int hs1Users = 1, int hs2Users = 1)
    {
        var owner = await MatrixTestClient.RegisterAsync(pair.Hs1, "alice");
        var room = await WalkieRoom.CreateAsync(owner, config);
        var ones = new List<MatrixTestClient> { owner };
        for (var i = 1; i < hs1Users; i++) ones.Add(await MatrixTestClient.RegisterAsync(pair.Hs1));
        var twos = new List<MatrixTestClient>();
        for (var i = 0; i < hs2Users; i++) twos.Add(await MatrixTestClient.RegisterAsync(pair.Hs2));
        foreach (var user in ones.Skip(1)) await room.JoinAsync(user);
        foreach (var user in twos) await user.JoinViaAsync(room.Id, FederationPair.Hs1Name);
        foreach (var user in ones.Concat(twos)) await room.ConsentAsync(user);
        foreach (var user in ones.Concat(twos))
            await room.SeesConsentAsync(owner, user);
        foreach (var user in ones)
            await room.SeesConsentAsync(twos[0], user);
        return (room, [.. ones], [.. twos]);
    }

    /// <summary>Waits until <paramref name="reader"/>'s server shows <paramref name="device"/>'s consent in the room state.</summary>
    public static async Task SeesConsentAsync(this WalkieRoom room, MatrixTestClient reader, MatrixTestClient device)
    {
        var seen = await Eventually.GetAsync(async () =>
        {
            using var response = await reader.Http.GetAsync(
                $"/_matrix/client/v3/rooms/{room.Id}/state/{WalkieRoom.MemberType}/{Uri.EscapeDataString($"_{device.UserId}_{device.DeviceId}")}");
            return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync())?["device_id"]?.GetValue<string>() : null;
        }, id => id == device.DeviceId);
        Assert.True(seen == device.DeviceId, $"{reader.UserId}'s server never saw the consent of {device.UserId}");
    }

    /// <summary>GET .../floor on <paramref name="client"/>'s server until <paramref name="done"/> holds (what the floor EDU delivers).</summary>
    public static async Task<JsonObject> FloorUntilAsync(this WalkieRoom room, MatrixTestClient client, Func<JsonObject, bool> done)
    {
        var floor = await Eventually.GetAsync(() => room.FloorAsync(client), done);
        Assert.True(done(floor), $"{client.UserId}'s server never showed the expected floor; last: {floor.ToJsonString()}");
        return floor;
    }
}
