namespace WalkieTalkie.Server.Matrix.Push;

/// <summary>A user's changes to the server-default push rules (Marten document, id = user id).</summary>
public sealed record PushRuleOverrides(string Id)
{
    /// <summary>Keyed by <see cref="PushRules.Key"/>: "kind/ruleId".</summary>
    public Dictionary<string, PushRuleOverride> Rules { get; init; } = new();
}

/// <summary>What the user changed on one rule: null keeps the default. Actions stay raw JSON (any tweak passes).</summary>
public sealed record PushRuleOverride(bool? Enabled, string? ActionsJson);

/// <summary>
/// The spec's server-default push rules (client-server API v1.11, "Predefined Rules"), in the spec's order, with a
/// user's overrides applied. The same object is GET /pushrules/ and the content of the `m.push_rules` account data.
/// </summary>
public static class PushRules
{
    public const string AccountDataType = "m.push_rules";
    public static readonly string[] Kinds = ["override", "content", "room", "sender", "underride"];

    public static string Key(string kind, string ruleId) => $"{kind}/{ruleId}";

    /// <summary>
    /// `{"global": {"override": [...], "content": [...], "room": [], "sender": [], "underride": [...]}}` for the user:
    /// the body of GET /pushrules/ and the content of the `m.push_rules` global account data event in /sync.
    /// </summary>
    public static JsonObject ForUser(string userId, PushRuleOverrides? overrides)
    {
        MatrixIds.TryParseUserId(userId, out var localpart, out _);
        var json = Defaults
            .Replace("\"$USER_ID\"", JsonSerializer.Serialize(userId))
            .Replace("\"$LOCALPART\"", JsonSerializer.Serialize(localpart));
        var global = JsonNode.Parse(json)!.AsObject();
        if (overrides is not null)
            foreach (var kind in Kinds)
            foreach (var rule in global[kind]!.AsArray())
                if (overrides.Rules.TryGetValue(Key(kind, rule!["rule_id"]!.GetValue<string>()), out var change))
                    Apply(rule.AsObject(), change);
        return new JsonObject { ["global"] = global };
    }

    /// <summary>The `m.push_rules` event as /sync puts it in the top-level `account_data.events`.</summary>
    public static JsonObject AccountDataEvent(string userId, PushRuleOverrides? overrides) =>
        new() { ["type"] = AccountDataType, ["content"] = ForUser(userId, overrides) };

    public static async Task<JsonObject> LoadForUserAsync(IQuerySession session, string userId, CancellationToken ct) =>
        ForUser(userId, await session.LoadAsync<PushRuleOverrides>(userId, ct));

    /// <summary>One rule of the user's rule set, or null when the kind has no rule with that id.</summary>
    public static JsonObject? Find(JsonObject ruleSet, string kind, string ruleId) =>
        ruleSet["global"]?[kind]?.AsArray().FirstOrDefault(r => r!["rule_id"]!.GetValue<string>() == ruleId)?.AsObject();

    static void Apply(JsonObject rule, PushRuleOverride change)
    {
        if (change.Enabled is { } enabled) rule["enabled"] = enabled;
        if (change.ActionsJson is { } actions) rule["actions"] = JsonNode.Parse(actions);
    }

    // Copied from the spec's definitions; "$USER_ID" and "$LOCALPART" stand for "[the user's Matrix ID]" and
    // "[the local part of the user's Matrix ID]".
    const string Defaults = """
    {
      "override": [
        {
          "rule_id": ".m.rule.master",
          "default": true,
          "enabled": false,
          "conditions": [],
          "actions": []
        },
        {
          "rule_id": ".m.rule.suppress_notices",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "event_match", "key": "content.msgtype", "pattern": "m.notice" }
          ],
          "actions": []
        },
        {
          "rule_id": ".m.rule.invite_for_me",
          "default": true,
          "enabled": true,
          "conditions": [
            { "key": "type", "kind": "event_match", "pattern": "m.room.member" },
            { "key": "content.membership", "kind": "event_match", "pattern": "invite" },
            { "key": "state_key", "kind": "event_match", "pattern": "$USER_ID" }
          ],
          "actions": [ "notify", { "set_tweak": "sound", "value": "default" } ]
        },
        {
          "rule_id": ".m.rule.member_event",
          "default": true,
          "enabled": true,
          "conditions": [
            { "key": "type", "kind": "event_match", "pattern": "m.room.member" }
          ],
          "actions": []
        },
        {
          "rule_id": ".m.rule.is_user_mention",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "event_property_contains", "key": "content.m\\.mentions.user_ids", "value": "$USER_ID" }
          ],
          "actions": [ "notify", { "set_tweak": "sound", "value": "default" }, { "set_tweak": "highlight" } ]
        },
        {
          "rule_id": ".m.rule.contains_display_name",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "contains_display_name" }
          ],
          "actions": [ "notify", { "set_tweak": "sound", "value": "default" }, { "set_tweak": "highlight" } ]
        },
        {
          "rule_id": ".m.rule.is_room_mention",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "event_property_is", "key": "content.m\\.mentions.room", "value": true },
            { "kind": "sender_notification_permission", "key": "room" }
          ],
          "actions": [ "notify", { "set_tweak": "highlight" } ]
        },
        {
          "rule_id": ".m.rule.roomnotif",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "event_match", "key": "content.body", "pattern": "@room" },
            { "kind": "sender_notification_permission", "key": "room" }
          ],
          "actions": [ "notify", { "set_tweak": "highlight" } ]
        },
        {
          "rule_id": ".m.rule.tombstone",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "event_match", "key": "type", "pattern": "m.room.tombstone" },
            { "kind": "event_match", "key": "state_key", "pattern": "" }
          ],
          "actions": [ "notify", { "set_tweak": "highlight" } ]
        },
        {
          "rule_id": ".m.rule.reaction",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "event_match", "key": "type", "pattern": "m.reaction" }
          ],
          "actions": []
        },
        {
          "rule_id": ".m.rule.room.server_acl",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "event_match", "key": "type", "pattern": "m.room.server_acl" },
            { "kind": "event_match", "key": "state_key", "pattern": "" }
          ],
          "actions": []
        },
        {
          "rule_id": ".m.rule.suppress_edits",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "event_property_is", "key": "content.m\\.relates_to.rel_type", "value": "m.replace" }
          ],
          "actions": []
        }
      ],
      "content": [
        {
          "rule_id": ".m.rule.contains_user_name",
          "default": true,
          "enabled": true,
          "pattern": "$LOCALPART",
          "actions": [ "notify", { "set_tweak": "sound", "value": "default" }, { "set_tweak": "highlight" } ]
        }
      ],
      "room": [],
      "sender": [],
      "underride": [
        {
          "rule_id": ".m.rule.call",
          "default": true,
          "enabled": true,
          "conditions": [
            { "key": "type", "kind": "event_match", "pattern": "m.call.invite" }
          ],
          "actions": [ "notify", { "set_tweak": "sound", "value": "ring" } ]
        },
        {
          "rule_id": ".m.rule.encrypted_room_one_to_one",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "room_member_count", "is": "2" },
            { "kind": "event_match", "key": "type", "pattern": "m.room.encrypted" }
          ],
          "actions": [ "notify", { "set_tweak": "sound", "value": "default" } ]
        },
        {
          "rule_id": ".m.rule.room_one_to_one",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "room_member_count", "is": "2" },
            { "kind": "event_match", "key": "type", "pattern": "m.room.message" }
          ],
          "actions": [ "notify", { "set_tweak": "sound", "value": "default" } ]
        },
        {
          "rule_id": ".m.rule.message",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "event_match", "key": "type", "pattern": "m.room.message" }
          ],
          "actions": [ "notify" ]
        },
        {
          "rule_id": ".m.rule.encrypted",
          "default": true,
          "enabled": true,
          "conditions": [
            { "kind": "event_match", "key": "type", "pattern": "m.room.encrypted" }
          ],
          "actions": [ "notify" ]
        }
      ]
    }
    """;
}
