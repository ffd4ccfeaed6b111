using System.Text.Json;
using Kiln.Core.Training;

namespace Kiln.Training.Algorithms.Ensemble;

/// <summary>One member of an ensemble package: the folder holding its own model package, and its weight.</summary>
public sealed record EnsembleMemberFile(string Folder, double Weight);

/// <summary>
/// A weighted blend of Kiln models, as AutoML's ensembling mode makes it: a model package whose kiln-model.json
/// names the algorithm "ensemble" and whose <c>ensemble.json</c> lists member packages (each in its own folder)
/// with weights. Classifiers average the members' class probabilities; regressors average their values.
/// </summary>
public static class EnsembleModel
{
    public const string AlgorithmName = "ensemble";
    public const string MembersFile = "ensemble.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Save(string directory, ModelManifest manifest, IReadOnlyList<EnsembleMemberFile> members)
    {
        ModelDirectory.SaveManifest(directory, manifest with { Algorithm = AlgorithmName });
        File.WriteAllText(Path.Combine(directory, MembersFile), JsonSerializer.Serialize(members, Json));
    }

    public static IPredictor Load(string directory, ModelManifest manifest, AlgorithmCatalog algorithms)
    {
        var members = JsonSerializer.Deserialize<List<EnsembleMemberFile>>(File.ReadAllText(Path.Combine(directory, MembersFile)), Json)
            ?? throw new InvalidDataException($"{MembersFile} is empty");
        var loaded = new List<(IPredictor, double)>();
        try
        {
            foreach (var member in members)
            {
                var folder = Path.GetFullPath(Path.Combine(directory, member.Folder));
                if (!folder.StartsWith(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"The ensemble member folder '{member.Folder}' is outside the model.");
                }

                loaded.Add((algorithms.LoadPredictor(folder), member.Weight));
            }
        }
        catch
        {
            foreach (var (predictor, _) in loaded)
            {
                predictor.Dispose();
            }

            throw;
        }

        return new EnsemblePredictor(loaded, manifest);
    }

    /// <summary>Blends member predictions row by row with the given weights (they need not sum to one).</summary>
    public static PredictionRow Blend(IReadOnlyList<PredictionRow> predictions, IReadOnlyList<double> weights, string problem, IReadOnlyList<string>? classes)
    {
        var total = weights.Sum();
        if (problem == "regression" || predictions.Any(p => p.Probabilities is null))
        {
            return new PredictionRow(predictions.Select((p, i) => p.Value * weights[i]).Sum() / total);
        }

        var width = predictions[0].Probabilities!.Count;
        var blended = new double[width];
        for (var m = 0; m < predictions.Count; m++)
        {
            for (var k = 0; k < width; k++)
            {
                blended[k] += predictions[m].Probabilities![k] * weights[m] / total;
            }
        }

        var best = 0;
        for (var k = 1; k < width; k++)
        {
            if (blended[k] > blended[best])
            {
                best = k;
            }
        }

        var label = classes is { } names && best < names.Count ? names[best] : best.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Binary members report the positive class's probability as their value; keep that convention.
        return new PredictionRow(width == 2 ? blended[1] : best, label, blended, Classes: classes);
    }

    private sealed class EnsemblePredictor(IReadOnlyList<(IPredictor Predictor, double Weight)> members, ModelManifest manifest) : IPredictor
    {
        public int? FeatureCount => members[0].Predictor.FeatureCount;

        public IReadOnlyList<PredictionRow> Predict(IReadOnlyList<FeatureRow> rows)
        {
            var outputs = members.Select(member => member.Predictor.Predict(rows)).ToList();
            var weights = members.Select(member => member.Weight).ToList();
            return Enumerable.Range(0, rows.Count)
                .Select(r => Blend(outputs.Select(output => output[r]).ToList(), weights, manifest.Problem, manifest.Encoder?.Classes))
                .ToList();
        }

        public void Dispose()
        {
            foreach (var (predictor, _) in members)
            {
                predictor.Dispose();
            }
        }
    }
}
