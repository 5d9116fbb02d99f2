namespace WalkieTalkie.Client.Live;

/// <summary>The receive side: control messages become typed events and channel maps, binary frames become <see cref="ReceivedFrame"/>s.</summary>
public sealed partial class WalkieStream
{
    private async Task ReceiveLoopAsync(LiveConnection connection)
    {
        var socket = connection.Socket;
        using var reader = new WebSocketMessageReader(socket, MaxTextMessage, initialBytes: 8192);
        Exception? failure = null;
        try
        {
            while (true)
            {
                var message = await reader.ReadAsync(connection.Abort.Token);
                if (message.IsClose)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                        await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, connection.Abort.Token);
                    return;
                }
                if (message.TooLarge)
                {
                    Interlocked.Increment(ref _framesDropped);
                    continue;
                }
                if (message.Type == WebSocketMessageType.Text)
                    Dispatch(ControlJson.ParseServer(message.Span));
                else
                    OnAudioFrame(message.Span);
            }
        }
        catch (OperationCanceledException) when (connection.Abort.IsCancellationRequested)
        {
            // Our own close or a failed send: not an error of the receive side.
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            Ended(connection, failure);
        }
    }

    private void OnAudioFrame(ReadOnlySpan<byte> frame)
    {
        if (!AudioFrame.TryParse(frame, out var header, out var payload) || !_roomsByChannel.TryGetValue(header.Channel, out string? room))
        {
            Interlocked.Increment(ref _framesDropped);
            return;
        }
        var received = new ReceivedFrame(room, header.Channel, header.Epoch, header.Seq, frame[payload].ToArray(), _options.Time.GetUtcNow());
        foreach (var observer in _observers)
            observer.OnFrame(received);
        if (_options.QueueReceivedFrames)
            _frames.Writer.TryWrite(received);
    }

    private void Dispatch(ServerMessage message)
    {
        lock (_gate)
        {
            switch (message)
            {
                case ServerMessage.Subscribed subscribed:
                    // The client always subscribes with its whole set, so the answer is the whole map.
                    _channels = new Dictionary<string, ushort>(subscribed.Channels, StringComparer.Ordinal);
                    _roomsByChannel = subscribed.Channels.ToDictionary(c => c.Value, c => c.Key);
                    if (_pendingSubscribes.Count > 0)
                        _pendingSubscribes[0].TrySetResult(_channels);
                    break;
                case ServerMessage.StreamError error when _pendingSubscribes.Count > 0 && error.RoomId is null:
                    _pendingSubscribes[0].TrySetException(new WalkieStreamException($"The server answered subscribe with {error.Errcode}: {error.Error}"));
                    break;
            }
        }
        Publish(message);
    }

    private void Publish(ServerMessage message)
    {
        foreach (var observer in _observers)
            observer.OnMessage(message);
        _messages.Writer.TryWrite(message);
    }

    private void Ended(LiveConnection connection, Exception? failure)
    {
        if (Interlocked.Exchange(ref connection.Ended, 1) == 1)
            return;
        connection.Outbox.Writer.TryComplete();
        connection.Abort.Cancel();
        var status = connection.Socket.CloseStatus;
        var description = connection.Socket.CloseStatusDescription;
        lock (_gate)
        {
            if (ReferenceEquals(_connection, connection))
            {
                _connection = null;
                _channels = new Dictionary<string, ushort>(StringComparer.Ordinal);
                _roomsByChannel = [];
            }
            foreach (var pending in _pendingSubscribes)
                pending.TrySetException(new WalkieStreamException($"The stream closed ({status?.ToString() ?? failure?.Message ?? "no close frame"}) before subscribed arrived.", failure));
        }
        connection.Socket.Dispose();
        Publish(new ServerMessage.Disconnected(status, description, failure));
    }
}
