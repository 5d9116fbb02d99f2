namespace WalkieTalkie.Server.Federation.Receiving;

/// <summary>
/// Where the PDUs of an incoming transaction go (the rooms part registers its implementation after AddFederation;
/// the last registration wins). Returns the transaction answer's `pdus`: event id → null when accepted, else the error.
/// </summary>
public interface IIncomingPdus
{
    Task<IReadOnlyDictionary<string, string?>> ReceiveAsync(string origin, IReadOnlyList<JsonObject> pdus, CancellationToken ct);
}

/// <summary>One EDU type an incoming transaction may carry; several are registered, one per type.</summary>
public interface IIncomingEdu
{
    string EduType { get; }
    Task HandleAsync(string origin, JsonObject content, CancellationToken ct);
}

/// <summary>Until rooms federate: PDUs are not taken in, and the answer lists none of them.</summary>
sealed class NoRoomPdus(ILogger<NoRoomPdus> logger) : IIncomingPdus
{
    public Task<IReadOnlyDictionary<string, string?>> ReceiveAsync(string origin, IReadOnlyList<JsonObject> pdus, CancellationToken ct)
    {
        if (pdus.Count > 0) logger.LogWarning("{Count} PDUs from {Origin} ignored: rooms do not federate in this build", pdus.Count, origin);
        return Task.FromResult<IReadOnlyDictionary<string, string?>>(new Dictionary<string, string?>());
    }
}
