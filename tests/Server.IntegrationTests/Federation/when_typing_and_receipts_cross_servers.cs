using Marten;
using WalkieTalkie.Server.Federation.Edus;
using WalkieTalkie.Server.Infrastructure.Sync;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.IntegrationTests.Federation;

/// <summary>m.typing and m.receipt EDUs from EphemeralSender reach the board and receipt stream of the other server.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_typing_and_receipts_cross_servers(IntegrationFixture fixture)
{
    [Fact]
    public async Task typing_and_a_read_receipt_of_a_user_show_on_the_other_server_in_the_room()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        const string room = "!walkie:hs1.test";
        const string alice = "@alice:hs1.test";
        await using (var session = pair.Hs1.Services.GetRequiredService<IDocumentStore>().LightweightSession())
        {
            foreach (var user in new[] { alice, "@bob:hs2.test" }) session.Store(new RoomMember(RoomMember.Key(room, user), room, user, Memberships.Join));
            await session.SaveChangesAsync();
        }
        var ephemeral = pair.Hs1.Services.GetRequiredService<EphemeralSender>();

        await ephemeral.TypingAsync(room, alice, typing: true);
        await ephemeral.ReadReceiptAsync(room, alice, "$event1", 1234, null);

        var board = pair.Hs2.Services.GetRequiredService<EphemeralBoard>();
        var typing = await Eventually.GetAsync(() => Task.FromResult(board.EventsFor(room, null)),
            events => events.Any(e => e["type"]?.GetValue<string>() == "m.typing"));
        var users = typing.Single(e => e["type"]!.GetValue<string>() == "m.typing")["content"]!["user_ids"]!.AsArray();
        Assert.Equal([alice], users.Select(u => u!.GetValue<string>()));

        var receipts = await Eventually.GetAsync(async () =>
        {
            await using var session = pair.Hs2.Services.GetRequiredService<IDocumentStore>().QuerySession();
            return (await session.Events.FetchStreamAsync(SyncStreams.Receipts(room))).Select(e => e.Data).OfType<ReceiptSent>().ToList();
        }, r => r.Count > 0);
        Assert.Equal(new ReceiptSent(room, alice, "m.read", "$event1", null, 1234), Assert.Single(receipts));
    }
}
