namespace Kiln.Core.Training;

/// <summary>
/// A trained model loaded for inference. Hosting (endpoints, batch transform) calls it with parsed
/// rows; each built-in algorithm and ONNX models provide one.
/// </summary>
public interface IPredictor : IDisposable
{
    /// <summary>Number of input features a row must have (null when the model takes text or any width).</summary>
    int? FeatureCount { get; }

    /// <summary>Predicts one output row (one or more numbers or labels) per input row.</summary>
    IReadOnlyList<PredictionRow> Predict(IReadOnlyList<FeatureRow> rows);
}

/// <summary>
/// An input row: numeric features, text for text models, or raw cells (numbers and strings) for models that
/// encode their own inputs (trained on data with text columns).
/// </summary>
public sealed record FeatureRow(float[]? Features, string? Text = null, IReadOnlyList<object?>? Cells = null);

/// <summary>
/// One prediction: the main value (score, class or cluster), and for classifiers the label, the probabilities
/// and the class labels they belong to (in the same order), when the model knows them.
/// </summary>
public sealed record PredictionRow(double Value, string? Label = null, IReadOnlyList<double>? Probabilities = null, IReadOnlyList<double>? Vector = null, IReadOnlyList<string>? Classes = null);
