namespace WalkieTalkie.Server.Federation.Sending;

/// <summary>
/// A PDU or EDU waiting for its destination, stored until the destination acknowledged the transaction that carried
/// it. <see cref="TxnId"/> is set when it is put in a transaction, so a retry (after a failure or a restart) resends
/// the same transaction id and the receiver deduplicates.
/// </summary>
public sealed class OutgoingItem
{
    public long Id { get; set; }
    public string Destination { get; set; } = "";
    public bool IsPdu { get; set; }
    public string Json { get; set; } = "";
    public string? TxnId { get; set; }
    public DateTimeOffset EnqueuedAt { get; set; }
}
