using System.Buffers;

namespace WalkieTalkie.Client.Live;

/// <summary>The send side: one send loop per connection serialises every write (subscribe, control messages, audio).</summary>
public sealed partial class WalkieStream
{
    private async Task<IReadOnlyDictionary<string, ushort>> SubscribeOnAsync(LiveConnection connection, List<string> rooms, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<IReadOnlyDictionary<string, ushort>>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _pendingSubscribes.Add(reply);
        try
        {
            byte[] json = ControlJson.Serialize(new ClientMessage.Subscribe(rooms));
            await EnqueueAsync(connection, json, json.Length, WebSocketMessageType.Text, pooled: false, cancellationToken);
            return await reply.Task.WaitAsync(_options.ReplyTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The server did not answer subscribe with subscribed within {_options.ReplyTimeout.TotalSeconds:0.#} s.");
        }
        finally
        {
            lock (_gate) _pendingSubscribes.Remove(reply);
        }
    }

    private static async Task EnqueueAsync(LiveConnection connection, byte[] buffer, int length, WebSocketMessageType type, bool pooled, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!connection.Outbox.Writer.TryWrite(new Outgoing(buffer, length, type, done, pooled)))
        {
            if (pooled) ArrayPool<byte>.Shared.Return(buffer);
            throw new WalkieStreamException("The stream is closing or closed.");
        }
        await done.Task.WaitAsync(cancellationToken);
    }

    private static async Task SendLoopAsync(LiveConnection connection)
    {
        Exception? failure = null;
        try
        {
            await foreach (var item in connection.Outbox.Reader.ReadAllAsync(connection.Abort.Token))
            {
                try
                {
                    await connection.Socket.SendAsync(item.Buffer.AsMemory(0, item.Length), item.Type, endOfMessage: true, connection.Abort.Token);
                    item.Done.TrySetResult();
                }
                catch (Exception e)
                {
                    item.Done.TrySetException(new WalkieStreamException($"Sending on the stream failed: {e.Message}", e));
                    throw;
                }
                finally
                {
                    if (item.Pooled) ArrayPool<byte>.Shared.Return(item.Buffer);
                }
            }
        }
        catch (Exception e)
        {
            failure = e;
            connection.Abort.Cancel(); // the receive loop ends too and reports the disconnect
        }
        finally
        {
            connection.Outbox.Writer.TryComplete();
            while (connection.Outbox.Reader.TryRead(out var left))
            {
                left.Done.TrySetException(new WalkieStreamException("The stream closed before this was sent.", failure));
                if (left.Pooled) ArrayPool<byte>.Shared.Return(left.Buffer);
            }
        }
    }
}
