using System.Reflection;

namespace WalkieTalkie.Server.Infrastructure;

/// <summary>
/// A typed request body, bound by minimal APIs through <see cref="MatrixBody"/>: `record Request(...) : IMatrixRequest&lt;Request&gt;`
/// and the endpoint takes a `Request` parameter. Override <see cref="MaxBytes"/> or <see cref="EmptyIsObject"/> per record.
/// </summary>
public interface IMatrixRequest<TSelf> : IBindableFromHttpContext<TSelf> where TSelf : class, IMatrixRequest<TSelf>
{
    static virtual int MaxBytes => MatrixBody.DefaultMaxBytes;

    /// <summary>Whether an empty body reads as {} (spec: "a (potentially empty) JSON object"; some clients send none).</summary>
    static virtual bool EmptyIsObject => false;

    static async ValueTask<TSelf?> IBindableFromHttpContext<TSelf>.BindAsync(HttpContext context, ParameterInfo parameter) =>
        await MatrixBody.ReadAsync<TSelf>(context, TSelf.MaxBytes, TSelf.EmptyIsObject);
}
