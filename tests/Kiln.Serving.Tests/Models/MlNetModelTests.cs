using Kiln.Core.Training;
using Kiln.Serving.Models;
using Kiln.Training.Algorithms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Kiln.Serving.Tests.Models;

/// <summary>An ML.NET model trained outside Kiln serves with no code, giving what ML.NET itself predicts.</summary>
public sealed class MlNetModelTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kiln-mlnet-").FullName;

    [Fact]
    public void A_saved_mlnet_binary_classifier_predicts_as_mlnet_does()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(2);
        var rows = Enumerable.Range(0, 400).Select(_ =>
        {
            var x = new[] { (float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble() };
            return new Example { Features = x, Label = x[0] + (2 * x[1]) - x[2] > 1 };
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.SdcaLogisticRegression().Fit(data);
        ml.Model.Save(model, data.Schema, Path.Combine(_directory, "model.zip"));

        using var predictor = ModelLoader.LoadFrom(_directory, new AlgorithmCatalog());
        Assert.Equal(3, predictor.FeatureCount);
        var served = predictor.Predict(rows.Take(50).Select(row => new FeatureRow(row.Features)).ToList());
        var expected = ml.Data.CreateEnumerable<Scored>(model.Transform(ml.Data.LoadFromEnumerable(rows.Take(50))), reuseRowObject: false).ToList();
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(expected[i].Probability, served[i].Value, 5);
            Assert.Equal(expected[i].PredictedLabel ? "1" : "0", served[i].Label);
        }

        var error = Assert.Throws<InvalidDataException>(() => predictor.Predict([new FeatureRow([1f, 2f])]));
        Assert.Contains("Expected 3 features", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed class Example
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class Scored
    {
        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }
}
