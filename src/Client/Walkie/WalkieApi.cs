using System.Net;

namespace WalkieTalkie.Client.Walkie;

/// <summary>
/// The MSC4002 HTTP endpoints (consent and floor) under <see cref="Prefix"/>. Answers that are outcomes of the floor
/// protocol (granted, queued, taken) are typed results; everything else that is not 2xx throws <see cref="MatrixApiException"/>.
/// </summary>
public sealed class WalkieApi(MatrixSession session)
{
    public const string Prefix = "/_matrix/client/unstable/org.matrix.msc4002";

    /// <summary><c>PUT $P/rooms/{roomId}/consent</c>: null <paramref name="duration"/> consents permanently; a re-PUT replaces.</summary>
    public async Task<ConsentGrant> GiveConsentAsync(string roomId, TimeSpan? duration = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject();
        if (duration is { } d)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(d, TimeSpan.Zero, nameof(duration));
            body["duration_ms"] = (long)d.TotalMilliseconds;
        }
        var response = await session.SendAsync(HttpMethod.Put, RoomPath(roomId, "consent"), body, cancellationToken);
        return ConsentGrant.FromJson(response);
    }

    /// <summary><c>DELETE $P/rooms/{roomId}/consent</c>.</summary>
    public async Task WithdrawConsentAsync(string roomId, CancellationToken cancellationToken = default) =>
        await session.SendAsync(HttpMethod.Delete, RoomPath(roomId, "consent"), null, cancellationToken);

    /// <summary><c>POST $P/rooms/{roomId}/floor/request</c>: granted, queued, or taken (409) — all three are results.</summary>
    public async Task<FloorRequestResult> RequestFloorAsync(string roomId, FloorPriority priority = FloorPriority.Normal,
        CancellationToken cancellationToken = default)
    {
        var (status, body) = await session.SendRawAsync(HttpMethod.Post, RoomPath(roomId, "floor/request"),
            new JsonObject { ["priority"] = priority.ToWire() }, cancellationToken);
        if (status == HttpStatusCode.Conflict && body.String("errcode") == WalkieErrorCodes.FloorTaken)
            return new FloorRequestResult.Taken(
                body.Device("holder") ?? throw new InvalidDataException("409 FLOOR_TAKEN without a holder."),
                body.String("error"));
        if (status != HttpStatusCode.OK)
            throw MatrixSession.ToException(status, body);
        return FloorRequestResult.FromJson(body);
    }

    /// <summary><c>POST $P/rooms/{roomId}/floor/release</c>; a stale epoch is a no-op on the server, so this never fails for one.</summary>
    public async Task ReleaseFloorAsync(string roomId, long epoch, CancellationToken cancellationToken = default) =>
        await session.SendAsync(HttpMethod.Post, RoomPath(roomId, "floor/release"), new JsonObject { ["epoch"] = epoch }, cancellationToken);

    /// <summary><c>GET $P/rooms/{roomId}/floor</c>.</summary>
    public async Task<FloorStatus> GetFloorAsync(string roomId, CancellationToken cancellationToken = default) =>
        FloorStatus.FromJson(await session.SendAsync(HttpMethod.Get, RoomPath(roomId, "floor"), null, cancellationToken));

    private static string RoomPath(string roomId, string rest) => $"{Prefix}/rooms/{MatrixSession.Escape(roomId)}/{rest}";
}
