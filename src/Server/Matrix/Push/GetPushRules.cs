namespace WalkieTalkie.Server.Matrix.Push;

/// <summary>GET /pushrules/ (every rule set: only `global`) and GET /pushrules/global/ (that rule set alone).</summary>
public static class GetPushRules
{
    public static void MapGetPushRules(this RouteGroupBuilder v3)
    {
        v3.MapGet("/pushrules/", All).RequireAccessToken();
        v3.MapGet("/pushrules/{scope}/", Scope).RequireAccessToken();
    }

    // Rule sets are the spec's JSON shape, built from the default rules with the user's overrides (PushRules).
    static async Task<Ok<JsonObject>> All(HttpContext http, IQuerySession session, CancellationToken ct) =>
        TypedResults.Ok(await PushRules.LoadForUserAsync(session, http.Device().UserId, ct));

    static async Task<Results<Ok<JsonNode>, JsonHttpResult<MatrixError>>> Scope(string scope, HttpContext http, IQuerySession session,
        CancellationToken ct) =>
        scope == "global"
            ? TypedResults.Ok((await PushRules.LoadForUserAsync(session, http.Device().UserId, ct))["global"]!)
            : MatrixError.InvalidParam("Only the global push rule scope exists").ToTypedResult();
}
