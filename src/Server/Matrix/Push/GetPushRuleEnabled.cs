namespace WalkieTalkie.Server.Matrix.Push;

/// <summary>GET /pushrules/global/{kind}/{ruleId}/enabled → {"enabled": bool}.</summary>
public static class GetPushRuleEnabled
{
    public static void MapGetPushRuleEnabled(this RouteGroupBuilder v3) =>
        v3.MapGet("/pushrules/{scope}/{kind}/{ruleId}/enabled", async (string scope, string kind, string ruleId,
            HttpContext http, IQuerySession session, CancellationToken ct) =>
        {
            var (rule, error) = await PushRulesModule.FindAsync(session, http.Device().UserId, scope, kind, ruleId, ct);
            return error ?? TypedResults.Ok(new { enabled = rule!["enabled"]!.GetValue<bool>() });
        }).RequireAccessToken();
}
