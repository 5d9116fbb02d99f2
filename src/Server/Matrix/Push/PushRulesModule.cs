using WalkieTalkie.Server.Matrix.AccountData;

namespace WalkieTalkie.Server.Matrix.Push;

/// <summary>
/// Spec module "Push Notifications", push rules API: the server-default rules, readable whole or one by one, with
/// `enabled` and `actions` changeable per user. Creating and deleting user-defined rules is not implemented yet.
/// </summary>
public static class PushRulesModule
{
    public static void MapPushRules(this RouteGroupBuilder v3)
    {
        v3.MapGetPushRules();
        v3.MapGetPushRule();
        v3.MapGetPushRuleEnabled();
        v3.MapSetPushRuleEnabled();
        v3.MapGetPushRuleActions();
        v3.MapSetPushRuleActions();
    }

    /// <summary>The rule the path names, or the error to answer: 400 for a scope or kind the spec lacks, 404 for no such rule.</summary>
    internal static async Task<(JsonObject? Rule, MatrixError? Error)> FindAsync(IQuerySession session, string userId,
        string scope, string kind, string ruleId, CancellationToken ct)
    {
        if (scope != "global") return (null, MatrixError.InvalidParam("Only the global push rule scope exists"));
        if (!PushRules.Kinds.Contains(kind)) return (null, MatrixError.InvalidParam($"Unknown push rule kind {kind}"));
        var rule = PushRules.Find(await PushRules.LoadForUserAsync(session, userId, ct), kind, ruleId);
        return rule is null ? (null, MatrixError.NotFound("The push rule was not found.")) : (rule, null);
    }

    /// <summary>
    /// Stores a change to one rule and appends the new `m.push_rules` content to the account data stream, so an
    /// incremental /sync delivers it. The rule must exist (<see cref="FindAsync"/>).
    /// </summary>
    internal static async Task ChangeAsync(IDocumentSession session, string userId, string kind, string ruleId,
        Func<PushRuleOverride, PushRuleOverride> change, DateTimeOffset now, CancellationToken ct)
    {
        // The advisory lock also serialises concurrent changes of one user's overrides.
        await SyncLog.BeginAsync(session, ct);
        var overrides = await session.LoadAsync<PushRuleOverrides>(userId, ct) ?? new PushRuleOverrides(userId);
        var key = PushRules.Key(kind, ruleId);
        var rules = new Dictionary<string, PushRuleOverride>(overrides.Rules)
        {
            [key] = change(overrides.Rules.GetValueOrDefault(key) ?? new PushRuleOverride(null, null)),
        };
        var updated = overrides with { Rules = rules };
        session.Store(updated);
        AccountDataStore.AppendChange(session, userId, null, PushRules.AccountDataType,
            PushRules.ForUser(userId, updated).ToJsonString(), now);
        await session.SaveChangesAsync(ct);
    }
}
