using System.Text.Json;
using WalkieTalkie.Server.Infrastructure;

namespace WalkieTalkie.Server.Tests.Infrastructure;

public sealed class when_serializing_a_matrix_error
{
    [Fact]
    public void serializes_as_the_standard_error_response()
    {
        var json = JsonSerializer.Serialize(MatrixError.Forbidden("not a member"));
        Assert.Equal("""{"errcode":"M_FORBIDDEN","error":"not a member"}""", json);
    }

    [Fact]
    public void a_rate_limit_error_carries_retry_after_ms()
    {
        var error = MatrixError.LimitExceeded(1500);
        Assert.Equal(429, error.Status);
        Assert.Equal("""{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":1500}""", JsonSerializer.Serialize(error));
    }
}
