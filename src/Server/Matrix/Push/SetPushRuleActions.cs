namespace WalkieTalkie.Server.Matrix.Push;

/// <summary>
/// PUT /pushrules/global/{kind}/{ruleId}/actions with {"actions": [...]}: each action is `notify`, a `set_tweak`
/// object, or one of the old no-ops `dont_notify`/`coalesce` (spec: accepted and ignored).
/// </summary>
public static class SetPushRuleActions
{
    public sealed record Request(JsonElement? Actions) : IMatrixRequest<Request>;

    static readonly string[] KnownActions = ["notify", "dont_notify", "coalesce"];

    public static void MapSetPushRuleActions(this RouteGroupBuilder v3) =>
        v3.MapPut("/pushrules/{scope}/{kind}/{ruleId}/actions", Handle).RequireAccessToken();

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(string scope, string kind, string ruleId,
        Request body, HttpContext http, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if (body.Actions is not { } actions || actions.ValueKind == JsonValueKind.Null)
            return MatrixError.MissingParam("actions is required").ToTypedResult();
        if (Invalid(actions) is { } problem) return MatrixError.BadJson(problem).ToTypedResult();
        var userId = http.Device().UserId;
        var (_, error) = await PushRulesModule.FindAsync(session, userId, scope, kind, ruleId, ct);
        if (error is not null) return error.ToTypedResult();

        var json = actions.GetRawText();
        await PushRulesModule.ChangeAsync(session, userId, kind, ruleId, o => o with { ActionsJson = json }, clock.GetUtcNow(), ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }

    static string? Invalid(JsonElement actions)
    {
        if (actions.ValueKind != JsonValueKind.Array) return "actions must be an array";
        foreach (var action in actions.EnumerateArray())
        {
            var valid = action.ValueKind switch
            {
                JsonValueKind.String => KnownActions.Contains(action.GetString()),
                JsonValueKind.Object => action.TryGetProperty("set_tweak", out var tweak) && tweak.ValueKind == JsonValueKind.String,
                _ => false,
            };
            if (!valid) return $"Unknown push rule action {action.GetRawText()}";
        }
        return null;
    }
}
