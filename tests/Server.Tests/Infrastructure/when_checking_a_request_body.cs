using System.Text;
using WalkieTalkie.Server.Infrastructure;

namespace WalkieTalkie.Server.Tests.Infrastructure;

public sealed class when_checking_a_request_body
{
    [Theory]
    [InlineData("""{"a":"b","c":[1,{"d":null}]}""")]
    [InlineData(""" {"emoji":"\ud83d\udca5","plain":"💥"}""")]
    [InlineData("{}")]
    [InlineData("""{"o":{"a":1},"p":{"a":1},"a":[{"a":1},{"a":2}]}""")]
    public void a_json_object_of_storable_strings_passes(string json) => MatrixBody.Check(Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("""{"a":"x\u0000y"}""", "M_BAD_JSON")]
    [InlineData("""{"a\u0000":1}""", "M_BAD_JSON")]
    [InlineData("""{"a":["\ud800"]}""", "M_BAD_JSON")]
    [InlineData("""{"a":"\udc00\ud800"}""", "M_BAD_JSON")]
    [InlineData("""{"a":1,"a":2}""", "M_BAD_JSON")]
    [InlineData("""{"o":{"k":1,"k":{}}}""", "M_BAD_JSON")]
    [InlineData("[1,2]", "M_BAD_JSON")]
    [InlineData("\"text\"", "M_BAD_JSON")]
    [InlineData("{\"a\":1", "M_NOT_JSON")]
    [InlineData("{\"a\":\"\u0000\"}", "M_NOT_JSON")]
    [InlineData("{} {}", "M_NOT_JSON")]
    public void anything_else_is_refused_with_its_matrix_error(string json, string errcode)
    {
        var refused = Assert.Throws<MatrixException>(() => MatrixBody.Check(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(errcode, refused.MatrixError.ErrCode);
    }

    [Fact]
    public void nesting_deeper_than_the_limit_is_not_json()
    {
        var deep = "{\"a\":" + new string('[', MatrixBody.MaxDepth + 1) + new string(']', MatrixBody.MaxDepth + 1) + "}";
        Assert.Equal("M_NOT_JSON", Assert.Throws<MatrixException>(() => MatrixBody.Check(Encoding.UTF8.GetBytes(deep))).MatrixError.ErrCode);
    }

    // Built in code: xunit's theory data would turn a lone surrogate into U+FFFD.
    [Fact]
    public void storable_strings_have_no_nul_and_no_unpaired_surrogate()
    {
        Assert.True(MatrixBody.IsStorable("plain"));
        Assert.True(MatrixBody.IsStorable("\ud83d\udca5"));
        Assert.False(MatrixBody.IsStorable("a\0b"));
        Assert.False(MatrixBody.IsStorable(new string((char)0xD800, 1)));
        Assert.False(MatrixBody.IsStorable("x" + (char)0xDC00));
        Assert.False(MatrixBody.IsStorable("" + (char)0xDC00 + (char)0xD800));
    }
}
