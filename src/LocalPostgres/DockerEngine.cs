using System.Net.Sockets;
using System.Text;

namespace WalkieTalkie.LocalPostgres;

/// <summary>Is a Docker engine answering? (A `docker` client binary alone proves nothing.)</summary>
public static class DockerEngine
{
    public static bool IsReachable(TimeSpan timeout)
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        var socketPath = host is { } h && h.StartsWith("unix://", StringComparison.Ordinal) ? h["unix://".Length..] : "/var/run/docker.sock";
        if (host is { } other && !other.StartsWith("unix://", StringComparison.Ordinal)) return TcpPing(other, timeout);
        if (!File.Exists(socketPath)) return false;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            var connect = socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
            if (!connect.Wait(timeout)) return false;
            socket.Send(Encoding.ASCII.GetBytes("GET /_ping HTTP/1.0\r\n\r\n"));
            var buffer = new byte[64];
            var read = socket.ReceiveAsync(buffer);
            return read.Wait(timeout) && Encoding.ASCII.GetString(buffer, 0, read.Result).Contains(" 200 ");
        }
        catch (Exception e) when (e is SocketException or AggregateException) { return false; }
    }

    static bool TcpPing(string host, TimeSpan timeout)
    {
        if (!Uri.TryCreate(host.Replace("tcp://", "http://"), UriKind.Absolute, out var uri)) return false;
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync(uri.Host, uri.Port).Wait(timeout);
        }
        catch (Exception e) when (e is SocketException or AggregateException) { return false; }
    }
}
