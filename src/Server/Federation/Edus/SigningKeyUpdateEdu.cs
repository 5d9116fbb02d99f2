using WalkieTalkie.Server.Federation.Receiving;

namespace WalkieTalkie.Server.Federation.Edus;

/// <summary>`m.signing_key_update` in: a remote user's cross-signing keys changed; local users who share a room re-query them.</summary>
public sealed class SigningKeyUpdateEdu(IDocumentStore store, TimeProvider clock) : IIncomingEdu
{
    public const string Type = "m.signing_key_update";

    public string EduType => Type;

    public Task HandleAsync(string origin, JsonObject content, CancellationToken ct) =>
        DeviceListUpdateEdu.MarkChangedAsync(store, clock, origin, content, null, ct);
}
