using System.Globalization;
using Kiln.Core.Training;
using Kiln.Training.Algorithms.XGBoost;
using Kiln.Training.Tests.Algorithms;
using Parquet.Serialization;

namespace Kiln.Training.Tests.Data;

/// <summary>Besides SageMaker's CSV, the built-ins read headed CSV, JSON Lines and Parquet with a target column.</summary>
public sealed class FormatsTests : IDisposable
{
    private readonly TrainerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    public sealed class Row
    {
        public double Radius { get; set; }

        public double Texture { get; set; }

        public double Concavity { get; set; }

        public string Diagnosis { get; set; } = "";
    }

    private static List<Row> Rows() => File.ReadAllLines(Datasets.Path("breast_cancer.csv")).Skip(1).Select(line =>
    {
        var cells = line.Split(',');
        return new Row
        {
            Radius = double.Parse(cells[0], CultureInfo.InvariantCulture),
            Texture = double.Parse(cells[1], CultureInfo.InvariantCulture),
            Concavity = double.Parse(cells[6], CultureInfo.InvariantCulture),
            Diagnosis = cells[30].Trim('"'),
        };
    }).ToList();

    private static readonly Dictionary<string, string> Hyperparameters = new()
    {
        ["objective"] = "binary:logistic",
        ["num_round"] = "40",
        ["target_column"] = "Diagnosis",
    };

    [Fact]
    public async Task Json_lines_with_a_target_column()
    {
        var lines = Rows().Select(row => System.Text.Json.JsonSerializer.Serialize(row));
        _harness.Channel("train", "data.jsonl", string.Join("\n", lines) + "\n", "application/jsonlines");
        await _harness.TrainAsync(new XGBoostAlgorithm(), Hyperparameters);
        Assert.True(_harness.Reporter.Metrics["train:auc"] > 0.95, _harness.Reporter.Show());
    }

    [Fact]
    public async Task Parquet_with_a_target_column()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_harness.Root, "input", "train")).FullName;
        await ParquetSerializer.SerializeAsync(Rows(), Path.Combine(directory, "data.parquet"));
        _harness.Channels["train"] = new TrainingChannel("train", directory, "application/x-parquet");
        await _harness.TrainAsync(new XGBoostAlgorithm(), Hyperparameters);
        Assert.True(_harness.Reporter.Metrics["train:auc"] > 0.95, _harness.Reporter.Show());
    }

    [Fact]
    public async Task A_malformed_json_line_is_named()
    {
        _harness.Channel("train", "data.jsonl", "{\"Radius\": 1, \"Diagnosis\": \"B\"}\n{\"Radius\": 2, \"Diagnosis\": \n", "application/jsonlines");
        var error = await Assert.ThrowsAsync<TrainingFailedException>(() => _harness.TrainAsync(new XGBoostAlgorithm(), Hyperparameters));
        Assert.Contains("train/data.jsonl line 2, column", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_target_column_is_named()
    {
        _harness.Channel("train", "data.csv", "a,b\n1,2\n", "text/csv;header=present");
        var error = await Assert.ThrowsAsync<TrainingFailedException>(() => _harness.TrainAsync(new XGBoostAlgorithm(), Hyperparameters));
        Assert.Contains("the target column 'Diagnosis' is not in the data", error.Message, StringComparison.Ordinal);
    }
}
