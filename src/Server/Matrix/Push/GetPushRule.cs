namespace WalkieTalkie.Server.Matrix.Push;

/// <summary>GET /pushrules/global/{kind}/{ruleId}: one rule with the user's changes; 404 M_NOT_FOUND when there is none.</summary>
public static class GetPushRule
{
    public static void MapGetPushRule(this RouteGroupBuilder v3) =>
        v3.MapGet("/pushrules/{scope}/{kind}/{ruleId}", Handle).RequireAccessToken();

    // The rule is the spec's push rule object, built from the default rule set (PushRules) with the user's overrides.
    static async Task<Results<Ok<JsonObject>, JsonHttpResult<MatrixError>>> Handle(string scope, string kind, string ruleId,
        HttpContext http, IQuerySession session, CancellationToken ct)
    {
        var (rule, error) = await PushRulesModule.FindAsync(session, http.Device().UserId, scope, kind, ruleId, ct);
        return error is not null ? error.ToTypedResult() : TypedResults.Ok(rule!);
    }
}
