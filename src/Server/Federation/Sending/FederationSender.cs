namespace WalkieTalkie.Server.Federation.Sending;

/// <summary>
/// Puts PDUs and EDUs in the durable per-destination queue that <see cref="TransactionSender"/> drains with
/// `PUT /_matrix/federation/v1/send/{txnId}`. The session overloads only store: the caller's SaveChanges commits the
/// item with its own changes, then <see cref="Wake"/> (or the periodic sweep) sends it.
/// </summary>
public sealed class FederationSender(IDocumentStore store, IOptions<MatrixOptions> matrix, TimeProvider clock, TransactionSender worker)
{
    public string ServerName => matrix.Value.ServerName;

    public void EnqueuePdu(IDocumentSession session, string destination, JsonObject pdu) => Store(session, destination, true, pdu);

    public void EnqueueEdu(IDocumentSession session, string destination, string eduType, JsonObject content) =>
        Store(session, destination, false, new JsonObject { ["edu_type"] = eduType, ["content"] = content.DeepClone() });

    public async Task EnqueuePduAsync(string destination, JsonObject pdu, CancellationToken ct = default)
    {
        await using var session = store.LightweightSession();
        EnqueuePdu(session, destination, pdu);
        await session.SaveChangesAsync(ct);
        Wake(destination);
    }

    public async Task EnqueueEduAsync(string destination, string eduType, JsonObject content, CancellationToken ct = default)
    {
        await using var session = store.LightweightSession();
        EnqueueEdu(session, destination, eduType, content);
        await session.SaveChangesAsync(ct);
        Wake(destination);
    }

    /// <summary>Starts sending to the destination now (after the caller committed what it enqueued).</summary>
    public void Wake(string destination) => worker.Wake(destination);

    void Store(IDocumentSession session, string destination, bool isPdu, JsonObject json)
    {
        // Nothing goes to ourselves: local delivery is the caller's business.
        if (string.Equals(destination, ServerName, StringComparison.OrdinalIgnoreCase)) return;
        session.Store(new OutgoingItem { Destination = destination, IsPdu = isPdu, Json = json.ToJsonString(), EnqueuedAt = clock.GetUtcNow() });
    }
}
