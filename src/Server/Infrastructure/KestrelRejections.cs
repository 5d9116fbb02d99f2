using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace WalkieTalkie.Server.Infrastructure;

/// <summary>
/// Kestrel refuses some requests itself, before any middleware runs (a `%00` in the path, a malformed request line or
/// header): it answers with an empty body and closes the connection. This connection middleware gives those answers
/// a Matrix error body, so every non-2xx answer of the server is a Matrix error.
/// </summary>
public static class KestrelRejections
{
    public static void AnswerRejectionsAsMatrixErrors(this KestrelServerOptions kestrel) =>
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => async connection =>
        {
            var transport = connection.Transport;
            var output = new RejectionBodyStream(transport.Output.AsStream(leaveOpen: true));
            connection.Transport = new Pipe(transport.Input, PipeWriter.Create(output, new StreamPipeWriterOptions(leaveOpen: true)));
            try { await next(connection); }
            finally { connection.Transport = transport; }
        }));

    sealed record Pipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <summary>The error body for a status Kestrel chose; Kestrel's 400s are malformed request targets or headers.</summary>
    internal static MatrixError ErrorFor(int status) => status switch
    {
        400 => MatrixError.InvalidParam("Malformed request (request line, path or headers)"),
        413 => MatrixError.TooLarge("Request too large"),
        _ => new MatrixError("M_UNKNOWN", $"Request refused by the HTTP server ({status})"),
    } with { Status = status };

    /// <summary>Passes bytes through; an HTTP/1.x error head with `Content-Length: 0` and `Connection: close` gets a body.</summary>
    sealed class RejectionBodyStream(Stream inner) : Stream
    {
        static readonly byte[] EmptyLength = "\r\nContent-Length: 0\r\n"u8.ToArray();
        static readonly byte[] ConnectionClose = "\r\nConnection: close\r\n"u8.ToArray();
        static readonly byte[] EndOfHead = "\r\n\r\n"u8.ToArray();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) =>
            await inner.WriteAsync(Rewrite(buffer), ct);

        static ReadOnlyMemory<byte> Rewrite(ReadOnlyMemory<byte> buffer)
        {
            var span = buffer.Span;
            // "HTTP/1.1 4xx " or "HTTP/1.1 5xx ": only Kestrel's own answers arrive here without a body.
            if (span.Length < 16 || !span.StartsWith("HTTP/1."u8) || span[9] is not ((byte)'4' or (byte)'5')) return buffer;
            var end = span.IndexOf(EndOfHead);
            if (end < 0) return buffer;
            var head = span[..(end + 2)];
            var length = head.IndexOf(EmptyLength);
            if (length < 0 || head.IndexOf(ConnectionClose) < 0 || end + EndOfHead.Length != span.Length) return buffer;
            if (!int.TryParse(Encoding.ASCII.GetString(span.Slice(9, 3)), out var status)) return buffer;

            var body = JsonSerializer.SerializeToUtf8Bytes(ErrorFor(status));
            var headers = Encoding.ASCII.GetBytes($"\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n");
            return (byte[])[.. span[..length], .. headers, .. span[(length + EmptyLength.Length)..], .. body];
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
