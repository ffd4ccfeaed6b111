namespace Kiln.Core.Serving;

/// <summary>
/// Loads a model registered with CreateModel on this node and invokes it in-process, with no endpoint in front of it
/// (Clarify's predictor.model_name). Loading throws a <see cref="Common.KilnException"/> when the model does not exist
/// or its data cannot be loaded.
/// </summary>
public interface IModelInvoker
{
    Task<ILoadedModel> LoadAsync(string modelName, CancellationToken ct = default);
}

/// <summary>A loaded model: a request's bytes in, the answer's bytes out; <see cref="ModelInvocationException"/> when the model refuses the request.</summary>
public interface ILoadedModel : IDisposable
{
    ValueTask<(ReadOnlyMemory<byte> Body, string ContentType)> InvokeAsync(ReadOnlyMemory<byte> body, string? contentType, string? accept, CancellationToken ct = default);
}
