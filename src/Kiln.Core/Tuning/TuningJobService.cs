using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Training;

namespace Kiln.Core.Tuning;

/// <summary>
/// Hyperparameter tuning jobs: accept (every range, hyperparameter and objective checked against the algorithm
/// up front, as SageMaker does), describe, list and stop. The search runs on the job engine as a "tuning" job that
/// starts the trials as training jobs.
/// </summary>
public sealed class TuningJobService(ITuningJobStore store, ITrainingJobStore trainingJobs, ITrainerCatalog trainers, IJobScheduler scheduler, TimeProvider clock)
{
    public const string JobKind = "tuning";

    /// <summary>SageMaker's quotas: trials per tuning job and trials at once.</summary>
    public const int MaxTrainingJobsLimit = 750;

    public const int MaxParallelLimit = 100;

    /// <summary>Hyperband's MaxResource when the request gives none (steps: xgboost's rounds).</summary>
    public const int DefaultHyperbandMaxResource = 100;

    public async Task<TuningJob> CreateAsync(TuningJobSpec spec, CancellationToken ct = default)
    {
        if (await store.FindAsync(spec.Name, ct).ConfigureAwait(false) is not null)
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Resource Already Exists: Hyper Parameter Tuning Job with name {spec.Name} already exists. Choose a different name.");
        }

        Validate(spec);
        foreach (var parent in spec.WarmStartParents)
        {
            var found = await store.FindAsync(parent, ct).ConfigureAwait(false)
                ?? throw KilnException.InvalidParameter($"WarmStartConfig names the parent tuning job {parent}, which does not exist.");
            if (!found.IsFinished)
            {
                throw KilnException.InvalidParameter($"The parent tuning job {parent} is {found.Status}; a warm start needs finished parents.");
            }
        }

        var now = clock.GetUtcNow();
        var job = new TuningJob { Spec = spec, CreationTime = now, LastModifiedTime = now };
        if (!await store.AddAsync(job, ct).ConfigureAwait(false))
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Resource Already Exists: Hyper Parameter Tuning Job with name {spec.Name} already exists. Choose a different name.");
        }

        await scheduler.StartAsync(JobKind, spec.Name, ct).ConfigureAwait(false);
        return job;
    }

    public async Task<TuningJob> DescribeAsync(string name, CancellationToken ct = default) =>
        await store.FindAsync(name, ct).ConfigureAwait(false)
        ?? throw KilnException.NotFound($"Amazon SageMaker can't find a tuning job with name {name}");

    public Task<Common.Page<TuningJob>> ListAsync(ListQuery query, CancellationToken ct = default) => store.ListAsync(query, ct);

    /// <summary>The trials as training jobs are now (status, times, final metrics).</summary>
    public async Task<IReadOnlyList<(Trial Trial, TrainingJob? Job)>> TrialsAsync(string name, CancellationToken ct = default)
    {
        var job = await DescribeAsync(name, ct).ConfigureAwait(false);
        var trials = new List<(Trial, TrainingJob?)>();
        foreach (var trial in job.Trials)
        {
            trials.Add((trial, await TrialJobAsync(trial, ct).ConfigureAwait(false)));
        }

        return trials;
    }

    /// <summary>One trial's training job as it is now; null when it was never created or is gone.</summary>
    public Task<TrainingJob?> TrialJobAsync(Trial trial, CancellationToken ct = default) =>
        trainingJobs.FindAsync(trial.TrainingJobName, ct);

    public async Task StopAsync(string name, CancellationToken ct = default)
    {
        var job = await DescribeAsync(name, ct).ConfigureAwait(false);
        if (job.IsFinished)
        {
            throw KilnException.InvalidParameter($"The hyperparameter tuning job {name} has already ended with status {job.Status}.");
        }

        await store.UpdateAsync(name, current => current.IsFinished || current.StopRequested
            ? null
            : current with { StopRequested = true, Status = TuningJobStatus.Stopping, LastModifiedTime = clock.GetUtcNow() }, ct).ConfigureAwait(false);
        await scheduler.StopAsync(JobKind, name, ct).ConfigureAwait(false);
    }

    private void Validate(TuningJobSpec spec)
    {
        if (spec.Definitions.Count == 0)
        {
            throw KilnException.InvalidParameter("A tuning job needs a TrainingJobDefinition or TrainingJobDefinitions.");
        }

        if (spec.Strategy != TuningStrategies.Grid && spec.MaxTrainingJobs is null)
        {
            throw KilnException.InvalidParameter($"ResourceLimits.MaxNumberOfTrainingJobs is required with the {spec.Strategy} strategy.");
        }

        if (spec.MaxTrainingJobs > MaxTrainingJobsLimit)
        {
            throw new KilnException(ErrorCode.ResourceLimitExceeded, $"MaxNumberOfTrainingJobs is {spec.MaxTrainingJobs}; the limit is {MaxTrainingJobsLimit}.");
        }

        if (spec.MaxParallelTrainingJobs > MaxParallelLimit)
        {
            throw new KilnException(ErrorCode.ResourceLimitExceeded, $"MaxParallelTrainingJobs is {spec.MaxParallelTrainingJobs}; the limit is {MaxParallelLimit}.");
        }

        if (spec.Strategy == TuningStrategies.Hyperband)
        {
            if (spec.EarlyStopping != "Off")
            {
                throw KilnException.InvalidParameter("The Hyperband strategy stops trials itself: TrainingJobEarlyStoppingType must be Off.");
            }

            if (spec.HyperbandMinResource is { } min && spec.HyperbandMaxResource is { } max && min > max)
            {
                throw KilnException.InvalidParameter($"HyperbandStrategyConfig.MinResource ({min}) is greater than MaxResource ({max}).");
            }
        }
        else if (spec.HyperbandMinResource is not null || spec.HyperbandMaxResource is not null)
        {
            throw KilnException.InvalidParameter($"HyperbandStrategyConfig applies only to the Hyperband strategy, not {spec.Strategy}.");
        }

        var names = spec.Definitions.Select(definition => definition.Name).ToList();
        if (spec.Definitions.Count > 1 && (names.Any(name => name is null) || names.Distinct().Count() != names.Count))
        {
            throw KilnException.InvalidParameter("With several TrainingJobDefinitions, each needs a unique DefinitionName.");
        }

        foreach (var definition in spec.Definitions)
        {
            ValidateDefinition(spec, definition);
        }
    }

    private void ValidateDefinition(TuningJobSpec spec, TrainingDefinition definition)
    {
        var where = definition.Name is null ? "" : $" (definition {definition.Name})";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var range in definition.Ranges)
        {
            if (!seen.Add(range.Name))
            {
                throw KilnException.InvalidParameter($"The hyperparameter '{range.Name}' has more than one range{where}.");
            }

            if (definition.StaticHyperParameters.ContainsKey(range.Name))
            {
                throw KilnException.InvalidParameter($"The hyperparameter '{range.Name}' is both tuned and static{where}: give it a range or a value, not both.");
            }

            switch (range.Kind)
            {
                case ParameterKind.Categorical when range.Values is not { Count: > 0 }:
                    throw KilnException.InvalidParameter($"The categorical range for '{range.Name}' needs at least one value{where}.");
                case ParameterKind.Integer or ParameterKind.Continuous when range.Min > range.Max:
                    throw KilnException.InvalidParameter(
                        $"The range for hyperparameter '{range.Name}' has MinValue {Show(range.Min)} greater than MaxValue {Show(range.Max)}{where}.");
                case ParameterKind.Integer or ParameterKind.Continuous when range.Scaling is ScalingType.Logarithmic && range.Min <= 0:
                    throw KilnException.InvalidParameter($"Logarithmic scaling of '{range.Name}' needs MinValue greater than 0, got {Show(range.Min)}{where}.");
                case ParameterKind.Integer when range.Scaling is ScalingType.ReverseLogarithmic:
                    throw KilnException.InvalidParameter($"ReverseLogarithmic scaling is for continuous ranges; the integer range for '{range.Name}' takes Auto, Linear or Logarithmic{where}.");
                case ParameterKind.Continuous when range.Scaling is ScalingType.ReverseLogarithmic && (range.Min < 0 || range.Max >= 1):
                    throw KilnException.InvalidParameter($"ReverseLogarithmic scaling of '{range.Name}' needs a range within [0, 1), got [{Show(range.Min)}, {Show(range.Max)}]{where}.");
                case ParameterKind.Continuous when spec.Strategy == TuningStrategies.Grid:
                    throw KilnException.InvalidParameter($"Grid search needs categorical or integer ranges; '{range.Name}' is continuous{where}.");
            }
        }

        if (definition.Ranges.Count == 0)
        {
            throw KilnException.InvalidParameter($"The tuning job has no hyperparameter ranges to search{where}.");
        }

        ITrainer trainer;
        try
        {
            trainer = trainers.Resolve(definition.Template);
        }
        catch (TrainingValidationException e)
        {
            throw KilnException.InvalidParameter(e.Message + where);
        }

        // Every hyperparameter must be one the algorithm takes, and both ends of each range values it accepts.
        // Hyperband sets the algorithm's resource (xgboost's num_round) to MaxResource itself.
        var hyperband = spec.Strategy == TuningStrategies.Hyperband && trainer.ResourceHyperParameter is { } resource
            && !definition.StaticHyperParameters.ContainsKey(resource) && definition.Ranges.All(range => range.Name != resource)
                ? new Dictionary<string, string> { [resource] = (spec.HyperbandMaxResource ?? DefaultHyperbandMaxResource).ToString(CultureInfo.InvariantCulture) }
                : [];
        foreach (var corner in Corners(definition))
        {
            foreach (var (key, value) in hyperband)
            {
                corner[key] = value;
            }

            try
            {
                trainer.Validate(corner, definition.Template.Channels.Select(channel => channel.Name).ToList());
            }
            catch (TrainingValidationException e)
            {
                throw KilnException.InvalidParameter(e.Message + where);
            }
        }

        var objective = definition.Objective ?? spec.Objective;
        if (trainer.MetricNames is { } metrics && !metrics.Contains(objective.MetricName))
        {
            throw KilnException.InvalidParameter(
                $"The objective metric '{objective.MetricName}' is not one this algorithm emits{where}; it emits: {string.Join(", ", metrics.Take(30))}.");
        }

        if (objective.MetricName.StartsWith("validation:", StringComparison.Ordinal) && definition.Template.Channels.All(channel => channel.Name != "validation"))
        {
            throw KilnException.InvalidParameter($"The objective metric '{objective.MetricName}' needs a 'validation' channel in InputDataConfig{where}.");
        }

        if (spec.Strategy == TuningStrategies.Hyperband && trainer.ResourceHyperParameter is null)
        {
            throw KilnException.InvalidParameter($"Hyperband needs an algorithm that reports its metrics at every training step (the built-in xgboost does){where}.");
        }
    }

    /// <summary>The static hyperparameters with each range at its low end, then at its high end, then each categorical value in turn.</summary>
    private static IEnumerable<Dictionary<string, string>> Corners(TrainingDefinition definition)
    {
        Dictionary<string, string>? low = null;
        foreach (var high in new[] { false, true })
        {
            var values = new Dictionary<string, string>(definition.StaticHyperParameters, StringComparer.Ordinal);
            foreach (var range in definition.Ranges)
            {
                values[range.Name] = range.Kind switch
                {
                    ParameterKind.Categorical => high ? range.Values![^1] : range.Values![0],
                    ParameterKind.Integer => ((long)(high ? range.Max : range.Min)).ToString(CultureInfo.InvariantCulture),
                    _ => Show(high ? range.Max : range.Min),
                };
            }

            low ??= values;
            yield return values;
        }

        foreach (var range in definition.Ranges.Where(range => range.Kind == ParameterKind.Categorical))
        {
            foreach (var value in range.Values!)
            {
                yield return new Dictionary<string, string>(low!, StringComparer.Ordinal) { [range.Name] = value };
            }
        }
    }

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
