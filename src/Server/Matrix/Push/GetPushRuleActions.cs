namespace WalkieTalkie.Server.Matrix.Push;

/// <summary>GET /pushrules/global/{kind}/{ruleId}/actions → {"actions": [...]}.</summary>
public static class GetPushRuleActions
{
    public sealed record Response(JsonNode? Actions);

    public static void MapGetPushRuleActions(this RouteGroupBuilder v3) =>
        v3.MapGet("/pushrules/{scope}/{kind}/{ruleId}/actions", Handle).RequireAccessToken();

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(string scope, string kind, string ruleId,
        HttpContext http, IQuerySession session, CancellationToken ct)
    {
        var (rule, error) = await PushRulesModule.FindAsync(session, http.Device().UserId, scope, kind, ruleId, ct);
        return error is not null ? error.ToTypedResult() : TypedResults.Ok(new Response(rule!["actions"]));
    }
}
