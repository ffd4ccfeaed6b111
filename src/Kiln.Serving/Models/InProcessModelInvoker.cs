using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Serving.Models;

/// <summary>A model loaded the way endpoints load their variants (<see cref="ModelLoader"/>), invoked in-process.</summary>
public sealed class InProcessModelInvoker(IServingStore store, ModelLoader loader) : IModelInvoker
{
    public async Task<ILoadedModel> LoadAsync(string modelName, CancellationToken ct = default)
    {
        var model = await store.FindModelAsync(modelName, ct).ConfigureAwait(false)
            ?? throw KilnException.InvalidParameter($"Could not find model \"{modelName}\".");
        var directory = await loader.PrepareAsync(model, ct).ConfigureAwait(false);
        try
        {
            return new Loaded(modelName, await loader.LoadServedAsync(model, directory, ct).ConfigureAwait(false));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw KilnException.InvalidParameter($"The model data of model \"{modelName}\" could not be loaded: {e.Message}");
        }
    }

    private sealed class Loaded(string name, IServedModel served) : ILoadedModel
    {
        public async ValueTask<(ReadOnlyMemory<byte> Body, string ContentType)> InvokeAsync(ReadOnlyMemory<byte> body, string? contentType, string? accept, CancellationToken ct = default)
        {
            try
            {
                var answer = await served.InvokeAsync(body, contentType, accept, ct).ConfigureAwait(false);
                return (answer.Body, answer.ContentType);
            }
            catch (ModelErrorException e)
            {
                throw new ModelInvocationException(e.Status, e.Message, name);
            }
        }

        public void Dispose() => served.Dispose();
    }
}
