using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using WalkieTalkie.Bench;

namespace WalkieTalkie.Bench.Floor;

public enum Answer { Granted, Queued, Denied, Error }

/// <summary>
/// One device pressing push-to-talk in one room: floor requests and releases over HTTP to its own server, and its live
/// stream subscribed to the room so it hears <c>floor.granted</c> when the queue hands it the floor.
/// </summary>
public sealed class FloorDevice : IAsyncDisposable
{
    public const string P = "/_matrix/client/unstable/org.matrix.msc4002";

    readonly MatrixClient _client;
    readonly string _room;
    readonly ClientWebSocket? _socket;
    readonly Channel<long> _granted = Channel.CreateUnbounded<long>();
    readonly Task _reader = Task.CompletedTask;
    long _handledEpoch;

    FloorDevice(MatrixClient client, string roomId, ClientWebSocket? socket)
    {
        _client = client;
        _room = Uri.EscapeDataString(roomId);
        _socket = socket;
        if (socket is not null) _reader = Task.Run(() => ReadAsync(socket, roomId));
    }

    /// <param name="client">The device, its <see cref="MatrixClient.Http"/> pointing at the server it talks to.</param>
    public static async Task<FloorDevice> ConnectAsync(MatrixClient client, string roomId, bool stream)
    {
        if (!stream) return new FloorDevice(client, roomId, null);
        var socket = new ClientWebSocket();
        var ws = new UriBuilder(client.Http.BaseAddress!) { Scheme = "ws", Path = $"{P}/stream", Query = $"access_token={client.AccessToken}" };
        await socket.ConnectAsync(ws.Uri, CancellationToken.None);
        var subscribe = new JsonObject { ["type"] = "subscribe", ["rooms"] = new JsonArray(roomId) }.ToJsonString();
        await socket.SendAsync(Encoding.UTF8.GetBytes(subscribe), WebSocketMessageType.Text, true, CancellationToken.None);
        return new FloorDevice(client, roomId, socket);
    }

    /// <summary>POST floor/request; the answer's kind, the granted epoch and how long the answer took (ms).</summary>
    public async Task<(Answer Kind, long Epoch, double Ms, int Status)> RequestAsync()
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await SendAsync("floor/request", new { priority = "normal" });
        var text = await response.Content.ReadAsStringAsync();
        var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (response.StatusCode == HttpStatusCode.Conflict) return (Answer.Denied, 0, ms, 409);
        if (!response.IsSuccessStatusCode) return (Answer.Error, 0, ms, (int)response.StatusCode);
        var body = JsonNode.Parse(text)!.AsObject();
        if (body["result"]?.GetValue<string>() != "granted") return (Answer.Queued, 0, ms, 200);
        var epoch = body["epoch"]!.GetValue<long>();
        Handled(epoch);
        return (Answer.Granted, epoch, ms, 200);
    }

    /// <summary>POST floor/release: the holder's epoch ends the grant; a queued device (any epoch) leaves the queue.</summary>
    public async Task<(bool Ok, double Ms, int Status)> ReleaseAsync(long epoch)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await SendAsync("floor/release", new { epoch });
        await response.Content.ReadAsStringAsync();
        return (response.IsSuccessStatusCode, Stopwatch.GetElapsedTime(start).TotalMilliseconds, (int)response.StatusCode);
    }

    /// <summary>The epoch of a hand-over from the queue that this device has not acted on yet, waiting at most <paramref name="patience"/>.</summary>
    public async Task<long?> HandedOverAsync(TimeSpan patience)
    {
        while (_granted.Reader.TryRead(out var waiting))
            if (waiting > _handledEpoch) return Handled(waiting);
        if (patience <= TimeSpan.Zero) return null;
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            while (true)
            {
                var epoch = await _granted.Reader.ReadAsync(timeout.Token);
                if (epoch > _handledEpoch) return Handled(epoch);
            }
        }
        catch (OperationCanceledException) { return null; }
    }

    long Handled(long epoch)
    {
        _handledEpoch = Math.Max(_handledEpoch, epoch);
        return epoch;
    }

    async Task<HttpResponseMessage> SendAsync(string operation, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{P}/rooms/{_room}/{operation}") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _client.AccessToken);
        return await _client.Http.SendAsync(request);
    }

    async Task ReadAsync(ClientWebSocket socket, string roomId)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                } while (!result.EndOfMessage && count < buffer.Length);
                if (result.MessageType == WebSocketMessageType.Close) break;
                if (result.MessageType != WebSocketMessageType.Text) continue;
                var message = JsonNode.Parse(buffer.AsSpan(0, count))?.AsObject();
                if (message?["type"]?.GetValue<string>() == "floor.granted" && message["room_id"]?.GetValue<string>() == roomId)
                    _granted.Writer.TryWrite(message["epoch"]!.GetValue<long>());
            }
        }
        catch (WebSocketException) { }
        catch (ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket is null) return;
        try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); }
        catch (WebSocketException) { }
        await _reader;
        _socket.Dispose();
    }
}
