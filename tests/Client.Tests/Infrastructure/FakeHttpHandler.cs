using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace WalkieTalkie.Client.Tests.Infrastructure;

/// <summary>An HTTP stack that records requests and answers from a script: what the client sends is asserted exactly.</summary>
public sealed class FakeHttpHandler : HttpMessageHandler
{
    private readonly Queue<(HttpStatusCode Status, string Body)> _answers = new();

    public List<RecordedRequest> Requests { get; } = [];

    public FakeHttpHandler Answer(HttpStatusCode status, string json)
    {
        _answers.Enqueue((status, json));
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string? body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add(new RecordedRequest(request.Method, request.RequestUri!, request.Headers.Authorization?.ToString(),
            request.Content?.Headers.ContentType?.MediaType, body));
        Assert.True(_answers.Count > 0, $"Unexpected request {request.Method} {request.RequestUri}");
        var (status, json) = _answers.Dequeue();
        return new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
    }
}

public sealed record RecordedRequest(HttpMethod Method, Uri Uri, string? Authorization, string? ContentType, string? Body)
{
    public JsonObject Json => JsonNode.Parse(Body ?? "null") as JsonObject ?? throw new Xunit.Sdk.XunitException($"Request body is not a JSON object: {Body}");

    /// <summary>Path and query as sent on the wire (percent-encoding kept).</summary>
    public string PathAndQuery => Uri.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped);
}
