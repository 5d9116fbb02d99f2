using WalkieTalkie.Server.Federation.Sending;

namespace WalkieTalkie.Server.Tests.Federation;

public sealed class TransactionBatchTests
{
    static OutgoingItem Item(long id, bool pdu) => new() { Id = id, IsPdu = pdu, Json = "{}" };

    [Fact]
    public void a_batch_stops_at_the_51st_pdu_so_order_is_kept()
    {
        var items = Enumerable.Range(0, 60).Select(i => Item(i, pdu: true)).Append(Item(100, pdu: false)).ToList();
        var batch = TransactionBatch.Take(items);
        Assert.Equal(50, batch.Count);
        Assert.All(batch, i => Assert.True(i.IsPdu));
    }

    [Fact]
    public void pdus_and_edus_mix_up_to_their_own_limits()
    {
        var items = Enumerable.Range(0, 30).Select(i => Item(i, pdu: true))
            .Concat(Enumerable.Range(30, 120).Select(i => Item(i, pdu: false))).ToList();
        var batch = TransactionBatch.Take(items);
        Assert.Equal((30, 100), (batch.Count(i => i.IsPdu), batch.Count(i => !i.IsPdu)));
    }

    [Fact]
    public void the_body_has_origin_pdus_and_edus_in_order()
    {
        var body = TransactionBatch.Body("hs1.test", 5, [new() { IsPdu = true, Json = """{"a":1}""" }, new() { IsPdu = false, Json = """{"edu_type":"x"}""" }]);
        Assert.Equal("""{"origin":"hs1.test","origin_server_ts":5,"pdus":[{"a":1}],"edus":[{"edu_type":"x"}]}""", body.ToJsonString());
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(4, 16)]
    [InlineData(10, 60)]
    [InlineData(1000, 60)]
    public void back_off_doubles_up_to_the_cap(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), TransactionBatch.Backoff(failures, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60)));
}
