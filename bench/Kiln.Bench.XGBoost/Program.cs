// Kiln's built-in xgboost on the benchmark's prepared files, as a training job runs it (read the channels,
// train, evaluate, save the model). Trains six times in one process and prints as JSON: "cold" is the first
// job of a fresh process (JIT warm-up included), "seconds" what a long-running Kiln server pays per job.
// Usage: dotnet Kiln.Bench.XGBoost.dll <folder> <objective> <rounds>
using System.Diagnostics;
using System.Text.Json;
using Kiln.Core.Training;
using Kiln.Training.Algorithms.XGBoost;

var (cold, metric) = await TrainAsync(args[0], args[1], args[2]);
var warm = new List<double>();
for (var i = 0; i < 5; i++)
{
    warm.Add((await TrainAsync(args[0], args[1], args[2])).Seconds);
}

// Steady state: the median of the last three jobs, once the JIT has optimized the hot paths.
Console.WriteLine(JsonSerializer.Serialize(new { seconds = warm.TakeLast(3).Order().ElementAt(1), cold_seconds = cold, metric }));

static async Task<(double Seconds, double Metric)> TrainAsync(string folder, string objective, string rounds)
{
    var work = Directory.CreateTempSubdirectory("kiln-bench-xgb").FullName;
    var hyperParameters = new Dictionary<string, string>
    {
        ["objective"] = objective,
        ["num_round"] = rounds,
        ["max_depth"] = "6",
        ["eta"] = "0.1",
        ["subsample"] = "0.8",
        ["colsample_bytree"] = "0.8",
        ["min_child_weight"] = "1",
        ["lambda"] = "1",
        ["alpha"] = "0",
        ["tree_method"] = "hist",
        ["max_bin"] = "256",
        ["nthread"] = "2",
        ["seed"] = "0",
    };
    var channels = new Dictionary<string, TrainingChannel>
    {
        ["train"] = new("train", Path.Combine(folder, "train"), "text/csv"),
        ["validation"] = new("validation", Path.Combine(folder, "validation"), "text/csv"),
    };
    var reporter = new Reporter();
    var clock = Stopwatch.StartNew();
    await new XGBoostAlgorithm().TrainAsync(new TrainingContext("bench", hyperParameters, channels, Path.Combine(work, "model"), Path.Combine(work, "output"), work, reporter, TimeProvider.System, CancellationToken.None));
    var seconds = clock.Elapsed.TotalSeconds;
    Directory.Delete(work, recursive: true);
    return (seconds, reporter.Metrics[objective == "binary:logistic" ? "validation:auc" : "validation:rmse"]);
}

internal sealed class Reporter : ITrainingReporter
{
    public Dictionary<string, double> Metrics { get; } = [];

    public void Log(string line)
    {
    }

    public void Metric(string name, double value, long? step = null) => Metrics[name] = value;

    public void Status(string secondaryStatus, string message)
    {
    }
}
