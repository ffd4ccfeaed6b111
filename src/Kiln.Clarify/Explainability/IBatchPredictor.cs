namespace Kiln.Clarify.Explainability;

/// <summary>
/// The model under analysis: scores a batch of feature rows. Rows are the feature cells as Clarify sends them to an
/// endpoint in text/csv (strings, null for missing); the answer has one score per row, in order (a probability for
/// binary classifiers, the prediction for regressors). Implementations call an endpoint, a hosted model, or code.
/// </summary>
public interface IBatchPredictor
{
    Task<double[]> PredictAsync(IReadOnlyList<string?[]> rows, CancellationToken cancellationToken);
}
