using Marten;
using WalkieTalkie.Server.Matrix.Rooms;
using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

/// <summary>
/// Consent mirrors are per-device state: each is its own <see cref="RoomStateEntry"/> document, so a consent rewrites
/// neither the room's <see cref="RoomState"/> document nor the other devices' mirrors (issue 13), while every reader of
/// the whole state (/state, /sync) still sees them all.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_many_devices_consent_in_one_room(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task each_mirror_is_a_document_of_its_own_and_the_room_document_holds_none_yet_state_and_sync_show_all()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob]);
        await room.ConsentAsync(alice);
        await room.ConsentAsync(bob);

        await using (var query = _host.Services.GetRequiredService<IDocumentStore>().QuerySession())
        {
            var document = await query.LoadAsync<RoomState>(room.Id);
            Assert.False(document!.State.ContainsKey(MemberType));
            var entries = await query.Query<RoomStateEntry>().Where(e => e.RoomId == room.Id).ToListAsync();
            Assert.Equal(new[] { $"_{alice.UserId}_{alice.DeviceId}", $"_{bob.UserId}_{bob.DeviceId}" }.Order(StringComparer.Ordinal), entries.Select(e => e.StateKey).Order(StringComparer.Ordinal));
        }

        var state = await alice.Http.GetFromJsonAsync<JsonArray>($"/_matrix/client/v3/rooms/{room.Id}/state");
        Assert.Equal(2, state!.Count(e => e!["type"]!.GetValue<string>() == MemberType));
        var sync = await bob.GetJsonAsync("/_matrix/client/v3/sync");
        var synced = sync["rooms"]!["join"]![room.Id]!;
        var all = synced["state"]!["events"]!.AsArray().Concat(synced["timeline"]!["events"]!.AsArray());
        Assert.Equal(2, all.Where(e => e!["type"]!.GetValue<string>() == MemberType).Select(e => e!["state_key"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public async Task a_room_document_written_with_mirrors_inside_moves_them_out_on_its_next_write()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob]);
        await room.ConsentAsync(bob);
        var store = _host.Services.GetRequiredService<IDocumentStore>();
        await using (var session = store.LightweightSession())
        {
            // As the server stored it before mirrors had documents of their own.
            var entry = await session.LoadAsync<RoomStateEntry>(RoomStateEntry.Key(room.Id, MemberType, $"_{bob.UserId}_{bob.DeviceId}"));
            var document = await session.LoadAsync<RoomState>(room.Id);
            document!.State[MemberType] = new() { [entry!.StateKey] = entry.Entry };
            session.Store(document);
            session.Delete(entry);
            await session.SaveChangesAsync();
        }

        await room.ConsentAsync(alice);

        Assert.Equal(bob.DeviceId, (await room.MemberStateAsync(alice, bob))["device_id"]!.GetValue<string>());
        await using var query = store.QuerySession();
        Assert.False((await query.LoadAsync<RoomState>(room.Id))!.State.ContainsKey(MemberType));
        Assert.Equal(2, await query.Query<RoomStateEntry>().CountAsync(e => e.RoomId == room.Id));
    }
}
