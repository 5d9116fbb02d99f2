using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace WalkieTalkie.Server.IntegrationTests.Hostile;

/// <summary>One HTTP method on one route pattern of the real host, as its EndpointDataSource lists it.</summary>
public sealed record Route(string Method, RoutePattern Pattern)
{
    public string Template => "/" + Pattern.RawText!.TrimStart('/');

    public string Key => $"{Method} {Template}";

    public IReadOnlyList<string> Parameters => Pattern.Parameters.Select(p => p.Name).ToList();

    /// <summary>The path with each parameter replaced (escaped) by what <paramref name="value"/> gives for its name.</summary>
    public string Fill(Func<string, string> value)
    {
        var path = Template;
        foreach (var name in Parameters) path = path.Replace("{" + name + "}", Uri.EscapeDataString(value(name)));
        return path;
    }

    public override string ToString() => Key;
}

/// <summary>Every route the server maps, read from the running host so that a new endpoint is walked too.</summary>
public static class RouteCatalog
{
    public static IReadOnlyList<Route> Of(WalkieHost host) =>
        host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => new Route(m, e.RoutePattern)))
            .DistinctBy(r => r.Key)
            .OrderBy(r => r.Key, StringComparer.Ordinal)
            .ToList();

    /// <summary>Plausible values for route parameters: well-formed ids that name nothing.</summary>
    public static string Sample(string parameter) => parameter switch
    {
        "userId" => "@nobody:localhost",
        "roomId" or "roomIdOrAlias" => "!nothing:localhost",
        "roomAlias" => "#nothing:localhost",
        "eventId" => "$nothing",
        "serverName" => "localhost",
        "mediaId" => "nothing1234",
        "scope" => "global",
        "kind" => "override",
        "ruleId" => ".m.rule.master",
        "receiptType" => "m.read",
        "eventType" or "type" => "org.example.test",
        _ => "x" + parameter,
    };

    public static HttpRequestMessage Request(Route route, string path, string? token = null, string body = "{}")
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), path);
        if (route.Method is "POST" or "PUT") request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        if (token is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}
