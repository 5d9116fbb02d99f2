using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace WalkieTalkie.Server.Infrastructure;

/// <summary>Reading a JSON body under a per-endpoint size limit (Kestrel's default of ~28 MiB is the wrong size for most).</summary>
public static class JsonBody
{
    /// <summary>The parsed body; 413 M_TOO_LARGE past <paramref name="maxBytes"/>, declared or streamed; M_NOT_JSON when unparsable.</summary>
    public static async Task<JsonDocument> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes) throw new MatrixException(MatrixError.TooLarge($"Request body is larger than {maxBytes} bytes"));
        // Kestrel then stops a chunked body at the limit too (BadHttpRequestException 413, mapped to M_TOO_LARGE).
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes;
        return await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
    }
}
