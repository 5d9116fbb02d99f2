using System.Threading.Channels;

namespace WalkieTalkie.Client.Live;

/// <summary>One open WebSocket of a <see cref="WalkieStream"/>: its outbox, loops and abort; a reconnect makes a new one.</summary>
internal sealed class LiveConnection(WebSocket socket)
{
    public WebSocket Socket { get; } = socket;
    public Channel<Outgoing> Outbox { get; } = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    public CancellationTokenSource Abort { get; } = new();
    public Task SendLoop { get; set; } = Task.CompletedTask;
    public Task ReceiveLoop { get; set; } = Task.CompletedTask;
    public int Ended;
    public bool IsAlive => Ended == 0 && Socket.State == WebSocketState.Open;
}

/// <summary>One queued write: a control message or an audio frame (pooled buffer), and who waits for it to be sent.</summary>
internal readonly record struct Outgoing(byte[] Buffer, int Length, WebSocketMessageType Type, TaskCompletionSource Done, bool Pooled);
