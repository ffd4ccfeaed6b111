using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Jobs;

namespace Kiln.Core.AutoML;

/// <summary>
/// AutoML jobs: accept (the request and a first look at the data checked up front, so a missing target column
/// or a one-class target is refused at once), describe, list, stop. The work runs on the job engine as an
/// "automl" job: analyse the data, generate candidate pipelines, tune them as a tuning job, report.
/// </summary>
public sealed class AutoMLJobService(IAutoMLJobStore store, IAutoMLDataInspector inspector, DataUris data, IJobScheduler scheduler, TimeProvider clock)
{
    public const string JobKind = "automl";

    /// <summary>Autopilot's default candidate budget; Kiln's is smaller by default because one machine trains them all.</summary>
    public const int DefaultMaxCandidates = 24;

    /// <summary>Fewer rows than this cannot be split into training and validation data that mean anything.</summary>
    public const int MinRows = 20;

    private static readonly Dictionary<AutoMLProblemType, string[]> Metrics = new()
    {
        [AutoMLProblemType.BinaryClassification] = ["Accuracy", "BalancedAccuracy", "F1", "AUC", "Precision", "Recall", "LogLoss"],
        [AutoMLProblemType.MulticlassClassification] = ["Accuracy", "BalancedAccuracy", "F1macro", "PrecisionMacro", "RecallMacro", "LogLoss"],
        [AutoMLProblemType.Regression] = ["MSE", "RMSE", "MAE", "R2", "MAPE"],
        [AutoMLProblemType.TextClassification] = ["Accuracy", "BalancedAccuracy", "F1macro", "PrecisionMacro", "RecallMacro"],
    };

    /// <summary>The metrics a problem type is scored with: what ObjectiveMetric may name, and what every candidate reports.</summary>
    public static IReadOnlyList<string> MetricsFor(AutoMLProblemType problem) => Metrics[problem];

    /// <summary>Autopilot's defaults: F1 for two classes, accuracy for more, MSE for regression.</summary>
    public static AutoMLObjective DefaultObjective(AutoMLProblemType problem) => problem switch
    {
        AutoMLProblemType.BinaryClassification => new("F1", true),
        AutoMLProblemType.Regression => new("MSE", false),
        _ => new("Accuracy", true),
    };

    public static AutoMLObjective Objective(string metric) =>
        new(metric, metric is not ("MSE" or "RMSE" or "MAE" or "MAPE" or "LogLoss"));

    /// <summary>The problem type the target's values suggest: two values are binary, numbers with many values regression, the rest classes.</summary>
    public static AutoMLProblemType InferProblemType(DataCheck check)
    {
        if (check.TargetValues.Count == 2)
        {
            return AutoMLProblemType.BinaryClassification;
        }

        var integers = check.TargetValues.All(value => double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
            && number == Math.Floor(number));
        return check.TargetIsNumeric && (!integers || check.TargetValues.Count > 50)
            ? AutoMLProblemType.Regression
            : AutoMLProblemType.MulticlassClassification;
    }

    public async Task<AutoMLJob> CreateAsync(AutoMLJobSpec spec, CancellationToken ct = default)
    {
        if (await store.FindAsync(spec.Name, ct).ConfigureAwait(false) is not null)
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Resource Already Exists: Auto ML Job with name {spec.Name} already exists. Choose a different name.");
        }

        if (spec.ObjectiveMetric is { } metric && spec.ProblemType is { } declared && !Metrics[declared].Contains(metric))
        {
            throw KilnException.InvalidParameter(
                $"The objective metric {metric} is not valid for the problem type {declared}; use one of {string.Join(", ", Metrics[declared])}.");
        }

        if (spec.ValidationDataUri is not null && spec.ValidationFraction is not null)
        {
            throw KilnException.InvalidParameter("DataSplitConfig.ValidationFraction cannot be set when a validation channel is given.");
        }

        if (spec.ValidationFraction is <= 0 or >= 1)
        {
            throw KilnException.InvalidParameter($"DataSplitConfig.ValidationFraction must be between 0 and 1 (exclusive), got {spec.ValidationFraction}.");
        }

        await CheckDataAsync(spec, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var job = new AutoMLJob { Spec = spec, CreationTime = now, LastModifiedTime = now };
        if (!await store.AddAsync(job, ct).ConfigureAwait(false))
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Resource Already Exists: Auto ML Job with name {spec.Name} already exists. Choose a different name.");
        }

        await scheduler.StartAsync(JobKind, spec.Name, ct).ConfigureAwait(false);
        return job;
    }

    public async Task<AutoMLJob> DescribeAsync(string name, CancellationToken ct = default) =>
        await store.FindAsync(name, ct).ConfigureAwait(false)
        ?? throw KilnException.NotFound($"Could not find AutoML job with name {name}.");

    public Task<Page<AutoMLJob>> ListAsync(ListQuery query, CancellationToken ct = default) => store.ListAsync(query, ct);

    public async Task StopAsync(string name, CancellationToken ct = default)
    {
        var job = await DescribeAsync(name, ct).ConfigureAwait(false);
        if (job.IsFinished)
        {
            throw KilnException.InvalidParameter($"The AutoML job {name} has already ended with status {job.Status}.");
        }

        await store.UpdateAsync(name, current => current.IsFinished || current.StopRequested
            ? null
            : current with { StopRequested = true, Status = AutoMLJobStatus.Stopping, SecondaryStatus = AutoMLSecondaryStatus.Stopping, LastModifiedTime = clock.GetUtcNow() }, ct).ConfigureAwait(false);
        await scheduler.StopAsync(JobKind, name, ct).ConfigureAwait(false);
    }

    /// <summary>SageMaker checks these when the job starts; Kiln's data is local, so it checks them before accepting the job.</summary>
    private async Task CheckDataAsync(AutoMLJobSpec spec, CancellationToken ct)
    {
        foreach (var uri in new[] { spec.TrainingDataUri, spec.ValidationDataUri }.OfType<string>())
        {
            if (!await data.ExistsAsync(uri, ct).ConfigureAwait(false))
            {
                throw KilnException.InvalidParameter($"No data found at {uri}: the S3 prefix or object is empty or does not exist.");
            }
        }

        var check = await inspector.InspectAsync(spec.TrainingDataUri, spec.ContentType, spec.TargetColumn, ct).ConfigureAwait(false);
        if (!check.Columns.Contains(spec.TargetColumn, StringComparer.Ordinal))
        {
            throw KilnException.InvalidParameter(
                $"The target attribute '{spec.TargetColumn}' is not a column of the dataset at {spec.TrainingDataUri} (columns: {string.Join(", ", check.Columns.Take(30))}).");
        }

        if (spec.TextColumn is { } text && !check.Columns.Contains(text, StringComparer.Ordinal))
        {
            throw KilnException.InvalidParameter(
                $"The content column '{text}' is not a column of the dataset at {spec.TrainingDataUri} (columns: {string.Join(", ", check.Columns.Take(30))}).");
        }

        if (check.Rows < MinRows)
        {
            throw KilnException.InvalidParameter($"The dataset at {spec.TrainingDataUri} has {check.Rows} rows; AutoML needs at least {MinRows}.");
        }

        if (check.TargetValues.Count < 2)
        {
            throw KilnException.InvalidParameter(
                $"The target attribute '{spec.TargetColumn}' has {(check.TargetValues.Count == 0 ? "no values" : $"only one unique value ('{check.TargetValues[0]}')")}; at least two are needed to learn anything.");
        }

        var problem = spec.ProblemType ?? (spec.TextColumn is null ? InferProblemType(check) : AutoMLProblemType.TextClassification);
        if (problem == AutoMLProblemType.Regression && !check.TargetIsNumeric)
        {
            throw KilnException.InvalidParameter($"The problem type is Regression but the target attribute '{spec.TargetColumn}' has values that are not numbers.");
        }

        if (problem == AutoMLProblemType.BinaryClassification && check.TargetValues.Count != 2)
        {
            throw KilnException.InvalidParameter(
                $"The problem type is BinaryClassification but the target attribute '{spec.TargetColumn}' has {check.TargetValues.Count} unique values.");
        }

        if (spec.ObjectiveMetric is { } metric && !Metrics[problem].Contains(metric))
        {
            throw KilnException.InvalidParameter(
                $"The objective metric {metric} is not valid for the problem type {problem}; use one of {string.Join(", ", Metrics[problem])}.");
        }
    }
}
