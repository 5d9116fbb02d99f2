using Marten;
using WalkieTalkie.Server.Infrastructure.Sync;
using WalkieTalkie.Server.Matrix.AccountData;

namespace WalkieTalkie.Server.IntegrationTests.Push;

[Collection(IntegrationCollection.Name)]
public sealed class when_a_user_reads_and_changes_push_rules(IntegrationFixture fixture)
{
    const string Rules = "/_matrix/client/v3/pushrules/";
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task the_spec_default_rules_come_in_the_spec_order()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);

        var global = (await alice.GetJsonAsync(Rules))["global"]!.AsObject();

        Assert.Equal(["override", "content", "room", "sender", "underride"], global.Select(kv => kv.Key));
        Assert.Equal([".m.rule.master", ".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event",
            ".m.rule.is_user_mention", ".m.rule.contains_display_name", ".m.rule.is_room_mention", ".m.rule.roomnotif",
            ".m.rule.tombstone", ".m.rule.reaction", ".m.rule.room.server_acl", ".m.rule.suppress_edits"], Ids(global["override"]));
        Assert.Equal([".m.rule.contains_user_name"], Ids(global["content"]));
        Assert.Empty(global["room"]!.AsArray());
        Assert.Empty(global["sender"]!.AsArray());
        Assert.Equal([".m.rule.call", ".m.rule.encrypted_room_one_to_one", ".m.rule.room_one_to_one", ".m.rule.message",
            ".m.rule.encrypted"], Ids(global["underride"]));
        Assert.Equal(alice.UserId[1..alice.UserId.IndexOf(':')], global["content"]![0]!["pattern"]!.GetValue<string>());
        Assert.False(global["override"]![0]!["enabled"]!.GetValue<bool>());
        Assert.All(global.SelectMany(kv => kv.Value!.AsArray()), r => Assert.True(r!["default"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task a_rule_reads_exactly_as_the_spec_defines_it_for_this_user()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);

        var mention = await alice.GetJsonAsync($"{Rules}global/override/.m.rule.is_user_mention");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""
            {
              "rule_id": ".m.rule.is_user_mention",
              "default": true,
              "enabled": true,
              "conditions": [
                { "kind": "event_property_contains", "key": "content.m\\.mentions.user_ids", "value": "{{alice.UserId}}" }
              ],
              "actions": [ "notify", { "set_tweak": "sound", "value": "default" }, { "set_tweak": "highlight" } ]
            }
            """), mention), mention.ToJsonString());
        var global = await alice.GetJsonAsync($"{Rules}global/");
        Assert.Equal(alice.UserId, global["override"]![2]!["conditions"]![2]!["pattern"]!.GetValue<string>());
    }

    [Fact]
    public async Task enabled_and_actions_change_for_that_user_only()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var message = $"{Rules}global/underride/.m.rule.message";

        await alice.PutJsonAsync($"{message}/enabled", new { enabled = false });
        await alice.PutJsonAsync($"{message}/actions", new { actions = new object[] { "notify", new { set_tweak = "sound", value = "bing" } } });

        Assert.False((await alice.GetJsonAsync($"{message}/enabled"))["enabled"]!.GetValue<bool>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"actions":["notify",{"set_tweak":"sound","value":"bing"}]}"""),
            await alice.GetJsonAsync($"{message}/actions")));
        var rule = await alice.GetJsonAsync(message);
        Assert.False(rule["enabled"]!.GetValue<bool>());
        Assert.Equal("bing", rule["actions"]![1]!["value"]!.GetValue<string>());
        Assert.True((await bob.GetJsonAsync($"{message}/enabled"))["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task changes_are_the_m_push_rules_account_data_and_reach_the_sync_stream()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);

        await alice.PutJsonAsync($"{Rules}global/override/.m.rule.master/enabled", new { enabled = true });

        var rules = await alice.GetJsonAsync(Rules);
        var accountData = await alice.GetJsonAsync($"/_matrix/client/v3/user/{Uri.EscapeDataString(alice.UserId)}/account_data/m.push_rules");
        Assert.True(JsonNode.DeepEquals(rules, accountData));
        await using var session = _host.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession();
        var change = Assert.Single(await session.Events.FetchStreamAsync(SyncStreams.AccountData(alice.UserId)));
        var set = Assert.IsType<AccountDataSet>(change.Data);
        Assert.Equal("m.push_rules", set.Type);
        Assert.True(JsonNode.DeepEquals(rules, JsonNode.Parse(set.ContentJson)));
    }

    [Fact]
    public async Task unknown_rules_are_404_and_bad_bodies_400()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        using var anonymous = _host.CreateClient();

        await (await alice.Http.GetAsync($"{Rules}global/override/.m.rule.nope")).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
        await (await alice.Http.PutAsJsonAsync($"{Rules}global/content/.m.rule.master/enabled", new { enabled = true }))
            .ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
        await (await alice.Http.GetAsync($"{Rules}global/everything/.m.rule.master")).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
        await (await alice.Http.PutAsJsonAsync($"{Rules}global/override/.m.rule.master/enabled", new { }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_MISSING_PARAM");
        await (await alice.Http.PutAsJsonAsync($"{Rules}global/override/.m.rule.master/enabled", new { enabled = "yes" }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        await (await alice.Http.PutAsJsonAsync($"{Rules}global/override/.m.rule.master/actions", new { actions = new[] { "explode" } }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        await (await anonymous.GetAsync(Rules)).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }

    static IEnumerable<string> Ids(JsonNode? rules) => rules!.AsArray().Select(r => r!["rule_id"]!.GetValue<string>());
}
