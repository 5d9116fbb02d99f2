namespace WalkieTalkie.Server.Matrix.Push;

/// <summary>PUT /pushrules/global/{kind}/{ruleId}/enabled with {"enabled": bool}.</summary>
public static class SetPushRuleEnabled
{
    public sealed record Request(bool? Enabled) : IMatrixRequest<Request>;

    public static void MapSetPushRuleEnabled(this RouteGroupBuilder v3) =>
        v3.MapPut("/pushrules/{scope}/{kind}/{ruleId}/enabled", Handle).RequireAccessToken();

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(string scope, string kind, string ruleId,
        Request body, HttpContext http, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if (body.Enabled is not { } enabled) return MatrixError.MissingParam("enabled is required").ToTypedResult();
        var userId = http.Device().UserId;
        var (_, error) = await PushRulesModule.FindAsync(session, userId, scope, kind, ruleId, ct);
        if (error is not null) return error.ToTypedResult();

        await PushRulesModule.ChangeAsync(session, userId, kind, ruleId, o => o with { Enabled = enabled }, clock.GetUtcNow(), ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
