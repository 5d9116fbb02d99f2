using WalkieTalkie.Server.Federation.Receiving;

namespace WalkieTalkie.Server.Federation.Edus;

/// <summary>`m.typing` in: {room_id, user_id, typing} of a user of the origin, shown on the room's board like a local user's.</summary>
public sealed class TypingEdu(EphemeralBoard board) : IIncomingEdu
{
    public const string Type = "m.typing";
    /// <summary>The EDU has no timeout; the spec's client default.</summary>
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public string EduType => Type;

    public async Task HandleAsync(string origin, JsonObject content, CancellationToken ct)
    {
        if (content["room_id"]?.GetValue<string>() is not { } roomId || content["user_id"]?.GetValue<string>() is not { } userId) return;
        if (!MatrixIds.TryParseUserId(userId, out _, out var server) || server != origin) return;
        var typing = content["typing"] is JsonValue t && t.TryGetValue<bool>(out var b) && b;
        await board.SetTypingAsync(roomId, userId, typing, Timeout);
    }
}
