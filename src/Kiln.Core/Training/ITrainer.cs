namespace Kiln.Core.Training;

/// <summary>
/// What a trainer needs to run once: the SageMaker container contract, made local. Input channels are
/// already downloaded to folders; whatever the trainer writes to <see cref="ModelDirectory"/> becomes
/// the job's <c>model.tar.gz</c>, and <see cref="OutputDirectory"/> its <c>output.tar.gz</c>.
/// </summary>
public sealed record TrainingContext(
    string JobName,
    IReadOnlyDictionary<string, string> HyperParameters,
    IReadOnlyDictionary<string, TrainingChannel> Channels,
    string ModelDirectory,
    string OutputDirectory,
    string WorkingDirectory,
    ITrainingReporter Reporter,
    TimeProvider Clock,
    CancellationToken CancellationToken,
    TrainingHosts? Hosts = null);

/// <summary>One input channel ("train", "validation", …) on local disk.</summary>
/// <param name="Directory">The folder holding the channel's files (SageMaker's /opt/ml/input/data/&lt;name&gt;).</param>
/// <param name="ContentType">The channel's declared ContentType (text/csv, application/x-parquet, application/jsonlines, …), if any.</param>
public sealed record TrainingChannel(string Name, string Directory, string? ContentType)
{
    /// <summary>The channel's data files in a stable order (hidden files and manifests skipped).</summary>
    public IReadOnlyList<string> Files() =>
        System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories)
            .Where(file => !Path.GetFileName(file).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToList();
}

/// <summary>Where a running trainer reports: log lines (kept as the job's log) and metric values (with history).</summary>
public interface ITrainingReporter
{
    void Log(string line);

    /// <summary>Records a metric value, e.g. <c>validation:auc</c>; the last value of each name is the job's final metric.</summary>
    void Metric(string name, double value, long? step = null);

    /// <summary>Moves the job's secondary status on (e.g. "Downloading", "Training", "Uploading") with a message.</summary>
    void Status(string secondaryStatus, string message);
}

/// <summary>A way to train: a built-in algorithm or a user script. Implementations are stateless.</summary>
public interface ITrainer
{
    /// <summary>Checks hyperparameters and channels before the job is accepted; throws <see cref="TrainingValidationException"/>.</summary>
    void Validate(IReadOnlyDictionary<string, string> hyperParameters, IReadOnlyCollection<string> channelNames);

    /// <summary>Trains; throws <see cref="TrainingFailedException"/> for user-caused failures (bad data, script exit code).</summary>
    Task TrainAsync(TrainingContext context);

    /// <summary>The metric names a job of this trainer can emit (for tuning objectives), or null when any name may appear.</summary>
    IReadOnlyCollection<string>? MetricNames => null;

    /// <summary>
    /// The hyperparameter that sets how long training runs (rounds, epochs) when the trainer reports its metrics at
    /// every step of it: Hyperband spends it as its resource. Null when the trainer has none.
    /// </summary>
    string? ResourceHyperParameter => null;

    /// <summary>Whether the job runs the caller's own code (script mode), which may expect as many hosts as it asked for.</summary>
    bool RunsUserCode => false;

    /// <summary>
    /// Hyperparameters a tuning trial should get on top of its own: what makes the objective metric reported at
    /// every step, and a share of the cores when <paramref name="threads"/> is less than all of them.
    /// </summary>
    IReadOnlyDictionary<string, string> TrialDefaults(IReadOnlyDictionary<string, string> hyperParameters, string objectiveMetric, int threads) =>
        new Dictionary<string, string>();
}

/// <summary>
/// Decides, as a training job reports each metric value, whether it should stop now: a tuning job's early
/// stopping (the median rule, Hyperband's rungs). Consulted on the node running the job.
/// </summary>
public interface ITrainingStopRule
{
    /// <summary>Null to go on; otherwise why the job stops (it ends as Stopped with that message).</summary>
    string? ShouldStop(TrainingJobSpec job, string metric, long step, double value);
}

/// <summary>A request the trainer refuses up front: becomes SageMaker's ValidationException with this message.</summary>
public sealed class TrainingValidationException(string message) : Exception(message);

/// <summary>A training run that failed because of its input: the job ends Failed with this message as FailureReason.</summary>
public sealed class TrainingFailedException(string message, Exception? inner = null) : Exception(message, inner);
