using Kiln.Core.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Kiln.Serving.Models;

/// <summary>
/// Serves an ONNX model with ONNX Runtime: rows become one float tensor [rows, features] fed to the model's
/// first input; each row's prediction is the first output's row (a score, or a vector of scores).
/// InferenceSession.Run is thread-safe, so one session serves all requests of a replica.
/// </summary>
public sealed class OnnxPredictor : IPredictor
{
    private readonly InferenceSession _session;
    private readonly string _input;

    public OnnxPredictor(string modelFile)
    {
        _session = new InferenceSession(modelFile);
        var (name, metadata) = _session.InputMetadata.First();
        _input = name;
        var dimensions = metadata.Dimensions;
        FeatureCount = dimensions.Length >= 2 && dimensions[^1] > 0 ? dimensions[^1] : null;
    }

    public int? FeatureCount { get; }

    public IReadOnlyList<PredictionRow> Predict(IReadOnlyList<FeatureRow> rows)
    {
        var width = FeatureCount ?? rows[0].Features?.Length ?? 0;
        var data = new float[rows.Count * width];
        for (var r = 0; r < rows.Count; r++)
        {
            var features = rows[r].Features ?? rows[r].Cells?.Select(cell => cell is double number ? (float)number : throw new InvalidDataException("ONNX models take numbers only.")).ToArray()
                ?? throw new InvalidDataException("ONNX models take numeric features.");
            if (features.Length != width)
            {
                throw new InvalidDataException($"Expected {width} features, got {features.Length}.");
            }

            features.CopyTo(data, r * width);
        }

        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_input, new DenseTensor<float>(data, [rows.Count, width]))]);
        var output = results[0].AsTensor<float>().ToArray();
        var perRow = output.Length / rows.Count;
        var predictions = new PredictionRow[rows.Count];
        for (var r = 0; r < rows.Count; r++)
        {
            var values = new double[perRow];
            for (var i = 0; i < perRow; i++)
            {
                values[i] = output[(r * perRow) + i];
            }

            predictions[r] = new PredictionRow(values[0], null, null, perRow > 1 ? values : null);
        }

        return predictions;
    }

    public void Dispose() => _session.Dispose();
}
