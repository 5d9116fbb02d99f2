using System.Net;

namespace WalkieTalkie.Client.Live;

/// <summary>Opening the WebSocket: the URI, the token (header or query), the upgrade errors, re-subscribing a new connection.</summary>
public sealed partial class WalkieStream
{
    private async Task<LiveConnection> EnsureOpenAsync(bool resubscribe, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is { IsAlive: true } open)
            return open;
        await _openGate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is { IsAlive: true } raced)
                return raced;
            var socket = await ConnectAsync(cancellationToken);
            var connection = new LiveConnection(socket);
            _connection = connection;
            connection.ReceiveLoop = Task.Run(() => ReceiveLoopAsync(connection), CancellationToken.None);
            connection.SendLoop = Task.Run(() => SendLoopAsync(connection), CancellationToken.None);
            List<string> rooms;
            lock (_gate) rooms = [.. _rooms];
            if (resubscribe && rooms.Count > 0)
                await SubscribeOnAsync(connection, rooms, cancellationToken);
            return connection;
        }
        finally
        {
            _openGate.Release();
        }
    }

    private async Task<WebSocket> ConnectAsync(CancellationToken cancellationToken)
    {
        var uri = _options.AccessTokenInQuery
            ? new UriBuilder(StreamUri) { Query = "access_token=" + Uri.EscapeDataString(_accessToken) }.Uri
            : StreamUri;
        var headers = _options.AccessTokenInQuery
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { ["Authorization"] = "Bearer " + _accessToken };
        if (_options.Connector is { } connector)
            return await connector(uri, headers, cancellationToken);

        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = _options.KeepAliveInterval;
        socket.Options.CollectHttpResponseDetails = true;
        foreach (var (name, value) in headers)
            socket.Options.SetRequestHeader(name, value);
        try
        {
            await socket.ConnectAsync(uri, _options.Invoker, cancellationToken);
            return socket;
        }
        catch (WebSocketException e)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            throw status switch
            {
                HttpStatusCode.Unauthorized => new MatrixApiException(MatrixErrorCodes.UnknownToken, "The server rejected the access token for the stream.", status),
                HttpStatusCode.Forbidden => new MatrixApiException(MatrixErrorCodes.Forbidden, "The server refused the stream.", status),
                HttpStatusCode.NotFound => new WalkieStreamException($"{StreamUri} does not exist: the server does not serve MSC4002 live audio.", e),
                0 => new WalkieStreamException($"Could not connect to {StreamUri}: {e.Message}", e),
                _ => new WalkieStreamException($"{StreamUri} answered HTTP {(int)status} instead of a WebSocket upgrade.", e),
            };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The WebSocket URI; <paramref name="accessToken"/> goes into the query when given.</summary>
    public static Uri BuildUri(Uri homeserver, string? accessToken)
    {
        var builder = new UriBuilder(homeserver)
        {
            Scheme = homeserver.Scheme switch
            {
                "http" or "ws" => "ws",
                "https" or "wss" => "wss",
                var s => throw new ArgumentException($"The homeserver URL must be http(s), not {s}.", nameof(homeserver)),
            },
            Path = homeserver.AbsolutePath.TrimEnd('/') + Path,
            Query = accessToken is null ? "" : "access_token=" + Uri.EscapeDataString(accessToken),
        };
        return builder.Uri;
    }
}
