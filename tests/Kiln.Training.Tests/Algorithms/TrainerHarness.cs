using System.Collections.Concurrent;
using System.Globalization;
using Kiln.Core.Training;

namespace Kiln.Training.Tests.Algorithms;

/// <summary>Runs a trainer the way a job does: channel folders on disk, a model folder, a reporter that records.</summary>
public sealed class TrainerHarness : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "kiln-training-tests", Guid.NewGuid().ToString("N"));

    public RecordingReporter Reporter { get; } = new();

    public TimeProvider Clock { get; set; } = TimeProvider.System;

    public string ModelDirectory => Path.Combine(Root, "model");

    public Dictionary<string, TrainingChannel> Channels { get; } = [];

    public TrainingChannel Channel(string name, string fileName, string content, string? contentType = "text/csv")
    {
        var directory = Directory.CreateDirectory(Path.Combine(Root, "input", name)).FullName;
        File.WriteAllText(Path.Combine(directory, fileName), content);
        return Channels[name] = new TrainingChannel(name, directory, contentType);
    }

    public async Task TrainAsync(ITrainer trainer, Dictionary<string, string> hyperParameters)
    {
        trainer.Validate(hyperParameters, Channels.Keys.ToList());
        Directory.CreateDirectory(ModelDirectory);
        var output = Directory.CreateDirectory(Path.Combine(Root, "output")).FullName;
        await trainer.TrainAsync(new TrainingContext("test-job", hyperParameters, Channels, ModelDirectory, output, Root, Reporter, Clock, CancellationToken.None));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A CSV file's rows (header skipped) with the target moved first: SageMaker's convention.</summary>
    public static List<string[]> LabelFirst(string file, Func<string[], string> label, int labelIndex)
    {
        var rows = new List<string[]>();
        using var reader = new StreamReader(file);
        reader.ReadLine();
        while (reader.ReadLine() is { } line)
        {
            var cells = line.Split(',').Select(cell => cell.Trim('"')).ToArray();
            rows.Add([label(cells), .. cells.Where((_, i) => i != labelIndex)]);
        }

        return rows;
    }

    public static string Csv(IEnumerable<string[]> rows) => string.Join("\n", rows.Select(row => string.Join(',', row))) + "\n";

    /// <summary>Breast cancer as SageMaker CSV (malignant = 1), split 80/20 with a fixed seed.</summary>
    public static (List<string[]> Train, List<string[]> Validation) BreastCancer()
    {
        var rows = LabelFirst(Datasets.Path("breast_cancer.csv"), cells => cells[^1] == "M" ? "1" : "0", 30);
        var random = new Random(7);
        var shuffled = rows.OrderBy(_ => random.Next()).ToList();
        var cut = (int)(shuffled.Count * 0.8);
        return (shuffled[..cut], shuffled[cut..]);
    }
}

public sealed class RecordingReporter : ITrainingReporter
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ConcurrentDictionary<string, double> Metrics { get; } = new();

    public void Log(string line) => Lines.Enqueue(line);

    public void Metric(string name, double value, long? step = null) => Metrics[name] = value;

    public void Status(string secondaryStatus, string message) => Lines.Enqueue($"[{secondaryStatus}] {message}");

    public string Show() => string.Join(", ", Metrics.Select(m => $"{m.Key}={m.Value.ToString("F4", CultureInfo.InvariantCulture)}"));
}
