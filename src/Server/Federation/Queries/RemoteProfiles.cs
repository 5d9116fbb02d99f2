using WalkieTalkie.Server.Matrix.Profile;

namespace WalkieTalkie.Server.Federation.Queries;

/// <summary>The client API's profile of a user of another server: asked of that server (GET /v1/query/profile).</summary>
public sealed class RemoteProfiles(FederationClient client)
{
    public bool IsRemote(string userId) => MatrixIds.TryParseUserId(userId, out _, out var server) && server != client.ServerName;

    /// <summary>The profile body as the remote server gave it (only displayname and avatar_url kept); its 404 stays a 404.</summary>
    public async Task<Results<Ok<ProfileModule.ProfileBody>, JsonHttpResult<MatrixError>>> GetAsync(string userId, string? field, CancellationToken ct)
    {
        var server = userId[(userId.IndexOf(':') + 1)..];
        var path = $"/_matrix/federation/v1/query/profile?user_id={Uri.EscapeDataString(userId)}" + (field is null ? "" : $"&field={field}");
        try
        {
            var answer = await client.GetJsonAsync(server, path, ct);
            return TypedResults.Ok(ProfileModule.ProfileBody.Of(Text(answer, ProfileModule.DisplayName), Text(answer, ProfileModule.AvatarUrl), field));
        }
        catch (FederationException e) when (e.Status == 404)
        {
            return MatrixError.NotFound("Profile not found").ToTypedResult();
        }
        catch (FederationException e)
        {
            // The spec's answer for a profile that cannot be found; an unreachable server must not read as a server fault (5xx).
            return MatrixError.NotFound($"Could not ask {server}: {e.Message}").ToTypedResult();
        }
    }

    static string? Text(JsonNode answer, string name) => answer[name] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
}
