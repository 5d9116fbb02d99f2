using System.Text.Json;
using WalkieTalkie.Server.Infrastructure;
using WalkieTalkie.Server.Matrix.Filters;

namespace WalkieTalkie.Server.Tests.Filters;

public sealed class when_parsing_a_sync_filter
{
    [Theory]
    [InlineData("m.room.*", "m.room.message", true)]
    [InlineData("m.room.*", "m.room", false)]
    [InlineData("*", "anything", true)]
    [InlineData("m.*.member", "m.room.member", true)]
    [InlineData("m.*.member", "m.room.message", false)]
    [InlineData("a*a", "a", false)]
    [InlineData("m.room.message", "m.room.message", true)]
    [InlineData("m.room.message", "m.room.messages", false)]
    public void timeline_types_match_with_star_wildcards(string pattern, string type, bool included) =>
        Assert.Equal(included, Parse("""{"room":{"timeline":{"types":[""" + JsonSerializer.Serialize(pattern) + "]}}}").IncludesTimelineType(type));

    [Fact]
    public void not_types_win_over_types()
    {
        var filter = Parse("""{"room":{"timeline":{"types":["m.*"],"not_types":["m.room.redaction"]}}}""");
        Assert.True(filter.IncludesTimelineType("m.room.message"));
        Assert.False(filter.IncludesTimelineType("m.room.redaction"));
    }

    [Fact]
    public void unknown_fields_are_tolerated_and_known_ones_of_the_wrong_type_are_not()
    {
        Assert.Equal(SyncFilter.Default, Parse("""{"org.example":{"room":5},"room":{"org.example":[]}}"""));
        var error = Assert.Throws<MatrixException>(() => Parse("""{"room":{"ephemeral":{"not_senders":"@a:b"}}}"""));
        Assert.Equal("M_BAD_JSON", error.MatrixError.ErrCode);
        Assert.Contains("filter.room.ephemeral.not_senders", error.MatrixError.Error);
    }

    static SyncFilter Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return SyncFilter.Parse(document.RootElement);
    }
}
