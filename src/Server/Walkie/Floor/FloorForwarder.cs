using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Federation;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// A server that is not the room's floor host sends its devices' floor commands to the host (signed, like every
/// federation request) and answers with the host's decision. No answer (down, timeout, 5xx) is
/// <c>ORG.MATRIX.MSC4002_FLOOR_HOST_UNREACHABLE</c>, and the host reads as unreachable in GET .../floor until it answers again.
/// </summary>
public sealed class FloorForwarder(FederationClient client, IOptions<FloorOptions> options, TimeProvider clock, ILogger<FloorForwarder> logger)
{
    readonly ConcurrentDictionary<string, DateTimeOffset> _unreachableSince = new(StringComparer.OrdinalIgnoreCase);

    public bool IsReachable(string host) => !_unreachableSince.ContainsKey(host);

    /// <summary>
    /// The floor host granted a forwarded request: raised with its answer, before the decision's EDU reaches this server,
    /// so that this server's relay takes the new holder's frames from the first one (the EDU may come a round trip later).
    /// </summary>
    public event Action<string, DeviceRef, FloorOutcome.Granted>? HostGranted;

    internal void OnHostGranted(string roomId, DeviceRef device, FloorOutcome.Granted granted)
    {
        try { HostGranted?.Invoke(roomId, device, granted); }
        catch (Exception e) { logger.LogWarning(e, "A listener of the host's grant in {Room} failed", roomId); }
    }

    public async Task<FloorOutcome> ForwardAsync(string host, FloorCommand command, CancellationToken ct)
    {
        if (FloorWire.Command(command) is not var (op, body)) return new FloorOutcome.None();
        var path = $"{FloorWire.FederationPrefix}/rooms/{Uri.EscapeDataString(command.RoomId)}/floor/{op}";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.ForwardTimeout);
        JsonNode? answer;
        int status;
        try
        {
            using var response = await client.SendAsync(host, HttpMethod.Post, path, body, timeout.Token);
            status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            answer = Parse(text);
        }
        catch (Exception e) when (e is FederationException or HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw Unreachable(host, e.Message);
        }

        // A 5xx is a host that cannot decide now (its database, a proxy in front of it): for the room the same as no answer.
        if (status >= 500 || answer is not JsonObject) throw Unreachable(host, $"answered {status}");
        if (_unreachableSince.TryRemove(host, out _)) logger.LogInformation("Floor host {Host} answers again", host);
        if (status is >= 200 and < 300) return FloorWire.ParseOutcome(answer);
        var code = answer["errcode"]?.GetValue<string>() ?? "M_UNKNOWN";
        if (status == StatusCodes.Status409Conflict && code == WalkieErrorCodes.FloorTaken && answer["holder"] is JsonObject holder)
            return new FloorOutcome.Denied(new DeviceRef(holder["user_id"]!.GetValue<string>(), holder["device_id"]!.GetValue<string>()), DenyReason.Taken);
        throw new MatrixException(new MatrixError(code, answer["error"]?.GetValue<string>() ?? "") { Status = status });
    }

    MatrixException Unreachable(string host, string why)
    {
        if (_unreachableSince.TryAdd(host, clock.GetUtcNow())) logger.LogWarning("Floor host {Host} unreachable: {Why}", host, why);
        return new MatrixException(WalkieErrors.FloorHostUnreachable(host));
    }

    static JsonNode? Parse(string text)
    {
        try { return text.Length > 0 ? JsonNode.Parse(text) : null; }
        catch (JsonException) { return null; }
    }
}
