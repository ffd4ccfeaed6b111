using System.Globalization;
using Kiln.AutoML.Candidates;
using Kiln.AutoML.Data;
using Kiln.Core.AutoML;
using Kiln.Core.Training;
using Kiln.Training.Algorithms;
using Kiln.Training.Data;

namespace Kiln.AutoML.Evaluation;

/// <summary>
/// The job's rows (training and validation together) cut into k folds: stratified by class for classification (each
/// class's rows shuffled with a fixed seed and dealt round the folds), a seeded shuffle for regression. Each fold's
/// training rows and held-out rows are written once as headed CSV, for every candidate to train on.
/// </summary>
public sealed class FoldPlan
{
    private FoldPlan(ValidationSet rows, IReadOnlyList<int> fold, IReadOnlyList<(string Train, string Held)> files)
    {
        Rows = rows;
        Fold = fold;
        Files = files;
    }

    /// <summary>Every row of the job as a model takes it, with the truth.</summary>
    public ValidationSet Rows { get; }

    /// <summary>Which fold each row is held out in.</summary>
    public IReadOnlyList<int> Fold { get; }

    /// <summary>Per fold, the folder holding its training rows (train.csv) and the file of its held-out rows.</summary>
    public IReadOnlyList<(string Train, string Held)> Files { get; }

    public int Count => Files.Count;

    /// <summary>The rows held out in <paramref name="fold"/>, as indices into <see cref="Rows"/>.</summary>
    public IReadOnlyList<int> HeldOut(int fold) => Enumerable.Range(0, Fold.Count).Where(i => Fold[i] == fold).ToList();

    /// <summary>Which fold each of <paramref name="count"/> rows goes to; classes spread evenly (stratified) when <paramref name="labels"/> are given.</summary>
    public static int[] Assign(int count, int folds, IReadOnlyList<string>? labels, int seed)
    {
        var random = new Random(seed);
        var assignment = new int[count];
        var groups = labels is null
            ? [Enumerable.Range(0, count).ToArray()]
            : Enumerable.Range(0, count).GroupBy(i => labels[i], StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToArray()).ToList();
        var next = 0;
        foreach (var group in groups)
        {
            random.Shuffle(group);
            foreach (var row in group)
            {
                // Dealing on from where the last class stopped keeps the folds' sizes within one row of each other.
                assignment[row] = next++ % folds;
            }
        }

        return assignment;
    }

    public static FoldPlan Create(RawTable table, string target, string? textColumn, bool classification, int folds, int seed, string directory)
    {
        var rows = new ValidationSet(table, target, textColumn);
        var fold = Assign(table.Rows.Count, folds, classification ? rows.Labels : null, seed);
        var files = new List<(string, string)>();
        for (var f = 0; f < folds; f++)
        {
            var train = new RawTable(table.Columns);
            var held = new RawTable(table.Columns);
            for (var i = 0; i < table.Rows.Count; i++)
            {
                (fold[i] == f ? held : train).Add(table.Rows[i], table.Sources[i]);
            }

            var trainDirectory = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"fold{f}"), "train");
            Directory.CreateDirectory(trainDirectory);
            AutoMLData.WriteCsvFile(train, Path.Combine(trainDirectory, "train.csv"));
            var heldFile = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"fold{f}"), "held.csv");
            AutoMLData.WriteCsvFile(held, heldFile);
            files.Add((trainDirectory, heldFile));
        }

        return new FoldPlan(rows, fold, files);
    }
}

/// <summary>A candidate's out-of-fold predictions: for every row of the job, what the model that did not see it predicted.</summary>
public sealed record OutOfFold(string Candidate, IReadOnlyList<PredictionRow> Predictions);

/// <summary>A cross-validated score: the objective per fold, its mean and standard deviation, and every metric's mean over the folds.</summary>
public sealed record CrossValidatedScore(IReadOnlyList<double> Folds, double Mean, double StandardDeviation, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>The standard error of the mean over the folds (the spread the one-standard-error rule allows).</summary>
    public double StandardError => Folds.Count < 2 ? 0 : StandardDeviation / Math.Sqrt(Folds.Count);
}

/// <summary>
/// k-fold cross-validation of a finished candidate: its algorithm trains again, in this process, with the candidate's
/// hyperparameters on each fold's training rows and predicts the fold's held-out rows. Boosted trees keep the number
/// of rounds early stopping chose for the candidate, as the refit does, so the score measures what will serve.
/// </summary>
public sealed class CrossValidator(AlgorithmCatalog algorithms, CandidateEvaluator evaluator, TimeProvider clock)
{
    public const int DefaultFolds = 5;

    /// <summary>The candidate's out-of-fold predictions, or null when its algorithm is not a built-in one or <paramref name="deadline"/> passed first.</summary>
    public async Task<OutOfFold?> RunAsync(AutoMLCandidate candidate, FoldPlan plan, IReadOnlyList<string>? classes, string work, DateTimeOffset? deadline, CancellationToken ct)
    {
        if (algorithms.Find(candidate.Image) is not { } algorithm || candidate.ModelDataUrl is null)
        {
            return null;
        }

        var scored = await evaluator.UnpackAsync(candidate.Name, candidate.ModelDataUrl, ct).ConfigureAwait(false);
        var hyperParameters = CandidateRefitter.WithRoundsFixed(candidate.HyperParameters, scored);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (deadline is { } end)
        {
            var left = end - clock.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            timeout.CancelAfter(left);
        }

        var predictions = new PredictionRow[plan.Rows.Rows.Count];
        try
        {
            // The folds train one after another: the candidate's own thread count already shares the cores.
            for (var f = 0; f < plan.Count; f++)
            {
                var model = Path.Combine(work, "cv", candidate.Name, string.Create(CultureInfo.InvariantCulture, $"fold{f}"));
                if (Directory.Exists(model))
                {
                    Directory.Delete(model, recursive: true);
                }

                Directory.CreateDirectory(model);
                var context = new TrainingContext(
                    $"{candidate.Name}-cv{f}",
                    hyperParameters,
                    new Dictionary<string, TrainingChannel> { ["train"] = new("train", plan.Files[f].Train, "text/csv;header=present") },
                    model,
                    Path.Combine(model, "output"),
                    Path.Combine(model, "work"),
                    QuietReporter.Instance,
                    clock,
                    timeout.Token);
                await algorithm.TrainAsync(context).ConfigureAwait(false);
                timeout.Token.ThrowIfCancellationRequested();
                using var predictor = algorithms.LoadPredictor(model);
                var foldClasses = ModelDirectory.ReadManifest(model).Encoder?.Classes;
                var held = plan.HeldOut(f);
                var predicted = predictor.Predict(held.Select(i => plan.Rows.Rows[i]).ToList());
                for (var i = 0; i < held.Count; i++)
                {
                    predictions[held[i]] = Align(predicted[i], foldClasses, classes);
                }

                Directory.Delete(model, recursive: true);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }

        return new OutOfFold(candidate.Name, predictions);
    }

    /// <summary>The objective per fold of out-of-fold <paramref name="predictions"/>, with its mean, spread and every metric's mean.</summary>
    public static CrossValidatedScore Score(IReadOnlyList<PredictionRow> predictions, IReadOnlyList<string>? classes, FoldPlan plan, AutoMLProblemType problem, AutoMLObjective objective)
    {
        var perFold = new List<Dictionary<string, double>>();
        for (var f = 0; f < plan.Count; f++)
        {
            var held = plan.HeldOut(f);
            perFold.Add(CandidateEvaluator.Metrics(held.Select(i => predictions[i]).ToList(), classes, plan.Rows.Resampled(held), problem));
        }

        var values = perFold.Select(m => m.GetValueOrDefault(objective.MetricName, double.NaN)).ToList();
        var finite = values.Where(double.IsFinite).ToList();
        var mean = finite.Count == 0 ? double.NaN : finite.Average();
        var spread = finite.Count < 2 ? 0 : Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Count - 1));
        var metrics = perFold.SelectMany(m => m.Keys).Distinct(StringComparer.Ordinal)
            .ToDictionary(name => name, name => perFold.Select(m => m.GetValueOrDefault(name, double.NaN)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(), StringComparer.Ordinal);
        KeepRootConsistent(metrics, objective.MetricName);
        return new CrossValidatedScore(values, mean, spread, metrics);
    }

    /// <summary>
    /// The mean of per-fold RMSEs is not the root of the mean of per-fold MSEs; a client reads them as one error, so the
    /// one that is not the objective is derived from the one that is (RMSE² = MSE, as on a single validation set).
    /// </summary>
    private static void KeepRootConsistent(Dictionary<string, double> metrics, string objective)
    {
        if (!metrics.TryGetValue("MSE", out var mse) || !metrics.TryGetValue("RMSE", out var rmse))
        {
            return;
        }

        if (objective == "RMSE")
        {
            metrics["MSE"] = rmse * rmse;
        }
        else
        {
            metrics["RMSE"] = Math.Sqrt(mse);
        }
    }

    /// <summary>A fold model's probabilities in the job's class order (a class the fold never saw gets 0).</summary>
    private static PredictionRow Align(PredictionRow row, IReadOnlyList<string>? foldClasses, IReadOnlyList<string>? classes)
    {
        if (classes is null || foldClasses is null || row.Probabilities is not { } probabilities || foldClasses.SequenceEqual(classes))
        {
            return row;
        }

        var aligned = classes.Select(c => Enumerable.Range(0, foldClasses.Count).FirstOrDefault(i => foldClasses[i] == c, -1) is var i and >= 0 && i < probabilities.Count ? probabilities[i] : 0).ToList();
        return row with { Probabilities = aligned, Classes = classes };
    }

    private sealed class QuietReporter : ITrainingReporter
    {
        public static readonly QuietReporter Instance = new();

        public void Log(string line)
        {
        }

        public void Metric(string name, double value, long? step = null)
        {
        }

        public void Status(string secondaryStatus, string message)
        {
        }
    }
}
