using Kiln.Core.Training;

namespace Kiln.Training.Algorithms.Boosting;

/// <summary>
/// Serves a LightGBM model Kiln trained (model.txt): rows are encoded as in training; one row is predicted
/// without LightGBM's thread pool (an endpoint's usual request), many rows as one matrix.
/// </summary>
internal sealed class BoostingPredictor(Booster booster, ModelManifest manifest) : IPredictor
{
    private const int RowsPerThreadedBatch = 256;

    public int? FeatureCount => manifest.FeatureCount;

    public IReadOnlyList<PredictionRow> Predict(IReadOnlyList<FeatureRow> rows)
    {
        var classes = booster.Classes;
        var results = new PredictionRow[rows.Count];
        if (rows.Count == 1)
        {
            Span<double> output = stackalloc double[classes];
            booster.PredictRow(ModelInputs.Encode(rows[0], manifest), output);
            results[0] = Row(output);
            return results;
        }

        var width = manifest.FeatureCount;
        var matrix = new float[rows.Count * width];
        for (var r = 0; r < rows.Count; r++)
        {
            ModelInputs.Encode(rows[r], manifest).CopyTo(matrix.AsSpan(r * width, width));
        }

        var outputs = booster.Predict(matrix, rows.Count, threads: rows.Count >= RowsPerThreadedBatch ? 0 : 1);
        for (var r = 0; r < rows.Count; r++)
        {
            results[r] = Row(outputs.AsSpan(r * classes, classes));
        }

        return results;
    }

    public void Dispose() => booster.Dispose();

    private PredictionRow Row(ReadOnlySpan<double> output)
    {
        switch (manifest.Problem)
        {
            case "binary":
                var p = output[0];
                return new PredictionRow(p, manifest.Encoder?.ClassName(p >= 0.5 ? 1 : 0), [1 - p, p], Classes: manifest.Encoder?.Classes);
            case "multiclass":
                var best = 0;
                for (var c = 1; c < output.Length; c++)
                {
                    if (output[c] > output[best])
                    {
                        best = c;
                    }
                }

                return new PredictionRow(best, manifest.Encoder?.ClassName(best), output.ToArray(), Classes: manifest.Encoder?.Classes);
            default:
                return new PredictionRow(manifest.TargetTransform is { } transform ? transform.Invert(output[0]) : output[0]);
        }
    }
}
