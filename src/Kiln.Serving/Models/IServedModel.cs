using Kiln.Core.Training;
using Kiln.Serving.Inference;

namespace Kiln.Serving.Models;

/// <summary>
/// One loaded copy of a model as hosting serves it: a request's bytes in, the answer's bytes out. Kiln's own
/// models, ONNX and ML.NET models answer in SageMaker's built-in formats through <see cref="PredictorModel"/>;
/// framework models run the user's inference handlers (<see cref="Python.PythonInferenceModel"/>).
/// </summary>
public interface IServedModel : IDisposable
{
    /// <summary>Answers one request; throws <see cref="ModelErrorException"/> when the model answers an error.</summary>
    ValueTask<ServedAnswer> InvokeAsync(ReadOnlyMemory<byte> body, string? contentType, string? accept, CancellationToken ct);
}

/// <summary>A model's answer; models that work on rows also give the rows and predictions (shadow variants compare them).</summary>
public sealed record ServedAnswer(byte[] Body, string ContentType, IReadOnlyList<FeatureRow>? Rows = null, IReadOnlyList<PredictionRow>? Predictions = null);

/// <summary>The model container's own error answer: its HTTP status (0 when it never answered) and message.</summary>
public sealed class ModelErrorException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>A row model (<see cref="IPredictor"/>) behind SageMaker's built-in request and response formats.</summary>
public sealed class PredictorModel(IPredictor predictor, InferenceOutput? output = null) : IServedModel
{
    public IPredictor Predictor { get; } = predictor;

    /// <summary>The answer's keys when the model's environment sets <c>SAGEMAKER_INFERENCE_OUTPUT</c> (AutoML containers).</summary>
    public InferenceOutput? Output { get; } = output;

    public ValueTask<ServedAnswer> InvokeAsync(ReadOnlyMemory<byte> body, string? contentType, string? accept, CancellationToken ct)
    {
        var rows = Payloads.Decode(body.Span, contentType);
        var predictions = Predictor.Predict(rows);
        var (encoded, type) = Payloads.Encode(predictions, accept, Payloads.MediaType(contentType), Output);
        return ValueTask.FromResult(new ServedAnswer(encoded, type, rows, predictions));
    }

    public void Dispose() => Predictor.Dispose();
}
