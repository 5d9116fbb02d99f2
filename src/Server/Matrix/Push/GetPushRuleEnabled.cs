namespace WalkieTalkie.Server.Matrix.Push;

/// <summary>GET /pushrules/global/{kind}/{ruleId}/enabled → {"enabled": bool}.</summary>
public static class GetPushRuleEnabled
{
    public sealed record Response(bool Enabled);

    public static void MapGetPushRuleEnabled(this RouteGroupBuilder v3) =>
        v3.MapGet("/pushrules/{scope}/{kind}/{ruleId}/enabled", Handle).RequireAccessToken();

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(string scope, string kind, string ruleId,
        HttpContext http, IQuerySession session, CancellationToken ct)
    {
        var (rule, error) = await PushRulesModule.FindAsync(session, http.Device().UserId, scope, kind, ruleId, ct);
        return error is not null ? error.ToTypedResult() : TypedResults.Ok(new Response(rule!["enabled"]!.GetValue<bool>()));
    }
}
