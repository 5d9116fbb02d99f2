using System.Diagnostics;
using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

/// <summary>The granting process dies with its in-process timers; the durable scheduled message still ends the grant.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_the_server_restarts_mid_grant(IntegrationFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task max_talk_revocation_still_happens_on_the_new_process()
    {
        var database = await fixture.CreateDatabaseAsync();
        var first = await WalkieHost.StartAsync(database);
        WalkieHost? second = null;
        try
        {
            var alice = await MatrixTestClient.RegisterAsync(first);
            var bob = await MatrixTestClient.RegisterAsync(first);
            var room = await WalkieRoom.CreateAsync(alice, new { enabled = true, max_talk_ms = 4_000, end_of_media_ms = 600_000 }, [bob]);
            await room.ConsentAsync(alice);
            await room.ConsentAsync(bob);
            var granted = await room.RequestOkAsync(alice);
            var expires = granted["expires_ts"]!.GetValue<long>();
            await room.RequestOkAsync(bob);

            var restart = Stopwatch.StartNew();
            await first.DisposeAsync();
            second = await WalkieHost.StartAsync(database);
            restart.Stop();
            Assert.True(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() < expires,
                $"the restart took {restart.ElapsedMilliseconds} ms, past the max talk time: the test proves nothing");

            var bobThere = bob.On(second);
            Assert.Equal(alice.DeviceId, Holder(await room.FloorAsync(bobThere)));

            var (floor, _) = await EventuallyAsync(() => room.FloorAsync(bobThere), f => Holder(f) == bob.DeviceId,
                TimeSpan.FromSeconds(15), "bob handed the floor by the new process at alice's max talk time");
            var late = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - expires;
            output.WriteLine($"restart took {restart.ElapsedMilliseconds} ms; the new process revoked, observed {late} ms after the deadline");
            Assert.True(late >= 0, "revoked before the max talk time");
            Assert.Equal(granted["epoch"]!.GetValue<long>() + 1, Epoch(floor));
        }
        finally
        {
            if (second is not null) await second.DisposeAsync();
        }
    }
}
