using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Tracking;
using Kiln.Core.Training;
using Kiln.Core.Tuning;
using Kiln.Tuning.EarlyStopping;
using Kiln.Tuning.Search;
using Microsoft.Extensions.Logging;

namespace Kiln.Tuning;

/// <summary>
/// Runs a hyperparameter tuning job on the job engine. It is a coordinator: it asks the search strategy for
/// points, starts each as a training job (the trials run on the job engine like any training job, up to
/// MaxParallelTrainingJobs at once), learns from each finished trial's objective, and ends the tuning job when
/// the budget is spent, a completion criterion is met, the runtime limit passes, or a stop is asked for. The
/// trials' tracked runs are children of the tuning job's own run. After a restart it rebuilds what the strategy
/// learned from the trials recorded so far and carries on.
/// </summary>
public sealed partial class TuningJobRunner(
    ITuningJobStore store,
    ITrainingJobStore trainingJobs,
    TrainingJobService training,
    ITrainerCatalog trainers,
    TrackingService tracking,
    TimeProvider clock,
    ILogger<TuningJobRunner> logger,
    TrainingJobEvents events) : IJobRunner
{
    public const string Experiment = "training-jobs";
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    private readonly JobLifecycle<TuningJob> _lifecycle = new(TuningJobService.JobKind, store.FindAsync, store.UpdateAsync, clock, logger);

    public string Kind => TuningJobService.JobKind;

    public Task<bool> IsFinishedAsync(string name, CancellationToken ct = default) => _lifecycle.IsFinishedAsync(name, ct);

    public Task RunAsync(JobRun run) => _lifecycle.RunAsync(run, RunAsync);

    private async Task RunAsync(JobAttempt<TuningJob> attempt)
    {
        // The search loop ends the job itself, on a stop too; only a failure is left to end here.
        await attempt.RunAsync(_ => TuneAsync(attempt), exit => exit.Kind == JobExitKind.Failed
            ? EndAsync(attempt, TuningJobStatus.Failed, failure: $"The tuning job failed: {exit.Error?.Message}")
            : Task.CompletedTask).ConfigureAwait(false);
    }

    private async Task TuneAsync(JobAttempt<TuningJob> attempt)
    {
        var (job, run) = (attempt.Job, attempt.Run);
        var spec = job.Spec;
        var parentRunId = job.ParentRunId ?? await CreateParentRunAsync(job).ConfigureAwait(false);
        var searches = spec.Definitions.Select(definition => new DefinitionSearch(definition, spec)).ToList();
        await WarmStartAsync(spec, searches).ConfigureAwait(false);
        var observed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var trial in job.Trials)
        {
            // A restart: the strategies replay what was suggested, then learn what has finished.
            searches[Index(spec, trial.DefinitionName)].Replay(trial);
        }

        while (true)
        {
            job = await RefreshTrialsAsync(job.Name, run.NodeShutdown).ConfigureAwait(false);
            foreach (var trial in job.Trials.Where(t => !spec.Reproducible && t.IsFinished && observed.Add(t.TrainingJobName)))
            {
                searches[Index(spec, trial.DefinitionName)].Learn(trial);
            }

            job = await UpdateCompletionAsync(job).ConfigureAwait(false);
            var inFlight = job.Trials.Count(trial => !trial.IsFinished);
            var budget = spec.MaxTrainingJobs ?? int.MaxValue;
            var stopReason = job.StopRequested || run.StopRequested.IsCancellationRequested ? "stop"
                : spec.MaxRuntimeInSeconds is { } limit && clock.GetUtcNow() - job.CreationTime > TimeSpan.FromSeconds(limit) ? "runtime"
                : job.CompletionReason is not null ? "complete"
                : null;
            if (stopReason is not null)
            {
                await StopTrialsAsync(job, run.NodeShutdown).ConfigureAwait(false);
                if (job.Trials.All(trial => trial.IsFinished))
                {
                    await FinishParentRunAsync(parentRunId, job, stopReason == "complete" ? RunStatus.Finished : RunStatus.Killed).ConfigureAwait(false);
                    await EndAsync(attempt, stopReason == "complete" ? TuningJobStatus.Completed : TuningJobStatus.Stopped,
                        reason: stopReason == "runtime" ? $"MaxRuntimeInSeconds ({spec.MaxRuntimeInSeconds} s) reached" : null).ConfigureAwait(false);
                    return;
                }
            }
            else
            {
                var exhausted = false;
                while (inFlight < spec.MaxParallelTrainingJobs && job.Trials.Count < budget)
                {
                    if (spec.Reproducible && !LearnSettled(job, spec, searches, observed))
                    {
                        break;
                    }

                    var index = job.Trials.Count % searches.Count;
                    var trial = searches[index].Next(job.Trials.Count);
                    if (trial is null)
                    {
                        exhausted = true;
                        break;
                    }

                    job = await LaunchAsync(job, searches[index], trial, parentRunId, run.NodeShutdown).ConfigureAwait(false);
                    inFlight++;
                }

                if (inFlight == 0 && (job.Trials.Count >= budget || exhausted))
                {
                    await FinishParentRunAsync(parentRunId, job, RunStatus.Finished).ConfigureAwait(false);
                    await EndAsync(attempt, job.Trials.Any(t => t.Status == TrainingJobStatus.Completed) || job.Trials.Count == 0 ? TuningJobStatus.Completed : TuningJobStatus.Failed,
                        failure: job.Trials.All(t => t.Status == TrainingJobStatus.Failed) && job.Trials.Count > 0 ? $"All {job.Trials.Count} training jobs failed; the first: {job.Trials[0].FailureReason}" : null).ConfigureAwait(false);
                    return;
                }
            }

            await events.WaitAsync(Poll, clock, run.NodeShutdown).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A reproducible job's next trial learns from the trials at least MaxParallelTrainingJobs before it, in the order
    /// they were started, and from no others: false (wait) while one of those is still running.
    /// </summary>
    private static bool LearnSettled(TuningJob job, TuningJobSpec spec, List<DefinitionSearch> searches, HashSet<string> observed)
    {
        var settled = job.Trials.Take(Math.Max(0, job.Trials.Count - spec.MaxParallelTrainingJobs)).ToList();
        if (settled.Any(trial => !trial.IsFinished))
        {
            return false;
        }

        foreach (var trial in settled.Where(t => observed.Add(t.TrainingJobName)))
        {
            searches[Index(spec, trial.DefinitionName)].Learn(trial);
        }

        return true;
    }

    /// <summary>Starts one trial: the definition's template with its static values, the tuned ones, and Kiln's defaults for trials.</summary>
    private async Task<TuningJob> LaunchAsync(TuningJob job, DefinitionSearch search, Dictionary<string, string> tuned, string parentRunId, CancellationToken ct)
    {
        var spec = job.Spec;
        var name = TrialName(spec.Name, job.Trials.Count + 1);
        var hyperParameters = new Dictionary<string, string>(search.Definition.StaticHyperParameters, StringComparer.Ordinal);
        foreach (var (key, value) in tuned)
        {
            hyperParameters[key] = value;
        }

        var trainer = trainers.Resolve(search.Definition.Template);
        TrialDefaults(spec, search, trainer, hyperParameters);
        var trialSpec = search.Definition.Template with
        {
            Name = name,
            HyperParameters = hyperParameters,
            TuningJobName = spec.Name,
            TuningDefinitionName = search.Definition.Name,
            RunTags = new Dictionary<string, string> { [SystemTags.ParentRunId] = parentRunId },
            CreatedBy = spec.CreatedBy,
        };
        var trial = new Trial(name, search.Definition.Name, tuned, clock.GetUtcNow());
        var updated = await store.UpdateAsync(job.Name, current => current with { Trials = [.. current.Trials, trial], LastModifiedTime = clock.GetUtcNow() }, ct).ConfigureAwait(false)
            ?? throw KilnException.NotFound($"The tuning job {job.Name} disappeared.");
        try
        {
            await training.CreateAsync(trialSpec, ct).ConfigureAwait(false);
        }
        catch (KilnException e)
        {
            // A trial the training service refuses (a combination of values it cannot take) fails; the search goes on.
            updated = await MarkAsync(job.Name, name, t => t with { Status = TrainingJobStatus.Failed, FailureReason = e.Message }, ct).ConfigureAwait(false);
        }

        LogTrial(spec.Name, name, string.Join(", ", tuned.Select(pair => $"{pair.Key}={pair.Value}")));
        return updated;
    }

    /// <summary>
    /// What SageMaker's trials get from their own instances, done locally: trials running side by side share the
    /// cores, the algorithm adds what a trial needs (its objective reported every step), and Hyperband's trials may
    /// train up to MaxResource steps.
    /// </summary>
    private static void TrialDefaults(TuningJobSpec spec, DefinitionSearch search, ITrainer trainer, Dictionary<string, string> hyperParameters)
    {
        var threads = Math.Max(1, Environment.ProcessorCount / spec.MaxParallelTrainingJobs);
        foreach (var (key, value) in trainer.TrialDefaults(hyperParameters, search.Objective.MetricName, threads))
        {
            hyperParameters[key] = value;
        }

        if (spec.Strategy == TuningStrategies.Hyperband && trainer.ResourceHyperParameter is { } resource
            && search.Definition.Ranges.All(range => range.Name != resource) && !search.Definition.StaticHyperParameters.ContainsKey(resource))
        {
            hyperParameters[resource] = (spec.HyperbandMaxResource ?? TuningJobService.DefaultHyperbandMaxResource).ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>SageMaker's trial names: the tuning job's, a three-digit index, and eight hexadecimal digits.</summary>
    private static string TrialName(string tuningJob, int index) =>
        FormattableString.Invariant($"{tuningJob}-{index:D3}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{tuningJob}/{index}")))[..8]}");

    private async Task<TuningJob> RefreshTrialsAsync(string name, CancellationToken ct)
    {
        var job = await store.FindAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"The tuning job {name} disappeared.");
        var changes = new Dictionary<string, Trial>(StringComparer.Ordinal);
        foreach (var trial in job.Trials.Where(t => !t.IsFinished))
        {
            if (await trainingJobs.FindAsync(trial.TrainingJobName, ct).ConfigureAwait(false) is not { } trainingJob || trainingJob.Status == trial.Status)
            {
                continue;
            }

            var objective = trainingJob.FinalMetrics.FirstOrDefault(m => m.Name == Objective(job.Spec, trial.DefinitionName).MetricName)?.Value;
            changes[trial.TrainingJobName] = trial with
            {
                Status = trainingJob.Status,
                Objective = trainingJob.IsFinished && objective is { } value && !double.IsNaN(value) ? value : null,
                FailureReason = trainingJob.FailureReason,
            };
        }

        if (changes.Count == 0)
        {
            return job;
        }

        return await store.UpdateAsync(name, current => current with
        {
            Trials = current.Trials.Select(t => changes.GetValueOrDefault(t.TrainingJobName) ?? t).ToList(),
            LastModifiedTime = clock.GetUtcNow(),
        }, ct).ConfigureAwait(false) ?? job;
    }

    /// <summary>Checks the completion criteria against the finished trials, in the order they finished.</summary>
    private async Task<TuningJob> UpdateCompletionAsync(TuningJob job)
    {
        var spec = job.Spec;
        var finished = job.Trials.Where(t => t.Objective is not null).ToList();
        if (finished.Count == 0 || job.CompletionReason is not null)
        {
            return job;
        }

        var best = job.Best!.Objective!.Value;
        string? reason = null;
        if (spec.TargetObjectiveValue is { } target && (best == target || spec.Objective.Better(best, target)))
        {
            reason = $"TargetObjectiveMetricValue {target.ToString(CultureInfo.InvariantCulture)} reached";
        }

        // Trials since the best one appeared, in launch order (the order the search learned from).
        var bestIndex = finished.FindIndex(t => t.Objective == best);
        var notImproving = finished.Count - 1 - bestIndex;
        if (spec.MaxTrainingJobsNotImproving is { } patience && notImproving >= patience)
        {
            reason ??= $"the best objective did not improve in {notImproving} training jobs";
        }

        DateTimeOffset? converged = null;
        if (spec.CompleteOnConvergence && finished.Count >= 10)
        {
            // Converged: the last fifth of the trials (at least five) moved the best objective by under 0.01 %.
            var recent = Math.Max(5, finished.Count / 5);
            var before = finished.Take(finished.Count - recent).Select(t => t.Objective!.Value).Aggregate((a, b) => spec.Objective.Better(b, a) ? b : a);
            if (Math.Abs(best - before) <= 1e-4 * Math.Max(1e-12, Math.Abs(before)))
            {
                reason ??= "the search converged";
                converged = clock.GetUtcNow();
            }
        }

        if (reason is null && notImproving == job.TrialsNotImproving)
        {
            return job;
        }

        return await store.UpdateAsync(job.Name, current => current with
        {
            CompletionReason = reason ?? current.CompletionReason,
            TrialsNotImproving = notImproving,
            ConvergenceDetectedTime = converged ?? current.ConvergenceDetectedTime,
        }).ConfigureAwait(false) ?? job;
    }

    private async Task StopTrialsAsync(TuningJob job, CancellationToken ct)
    {
        foreach (var trial in job.Trials.Where(t => !t.IsFinished))
        {
            try
            {
                await training.StopAsync(trial.TrainingJobName, ct).ConfigureAwait(false);
            }
            catch (KilnException)
            {
                // It ended on its own meanwhile.
            }
        }
    }

    private async Task WarmStartAsync(TuningJobSpec spec, List<DefinitionSearch> searches)
    {
        foreach (var parentName in spec.WarmStartParents)
        {
            if (await store.FindAsync(parentName).ConfigureAwait(false) is not { } parent)
            {
                continue;
            }

            foreach (var trial in parent.Trials.Where(t => t.Objective is not null))
            {
                var search = searches.FirstOrDefault(s => s.Definition.Name == trial.DefinitionName) ?? searches[0];
                // The parent's objective is the same metric (IdenticalDataAndAlgorithm) or a related task (TransferLearning):
                // either way it is what the search learns from first, without spending this job's budget.
                search.Learn(trial);
            }
        }
    }

    private async Task<string> CreateParentRunAsync(TuningJob job)
    {
        string experimentId;
        try
        {
            experimentId = (await tracking.GetExperimentByNameAsync(Experiment).ConfigureAwait(false)).ExperimentId;
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            try
            {
                experimentId = await tracking.CreateExperimentAsync(Experiment, null, null).ConfigureAwait(false);
            }
            catch (KilnException again) when (again.Code == ErrorCode.ResourceAlreadyExists)
            {
                experimentId = (await tracking.GetExperimentByNameAsync(Experiment).ConfigureAwait(false)).ExperimentId;
            }
        }

        var spec = job.Spec;
        var run = await tracking.CreateRunAsync(experimentId, spec.CreatedBy, job.CreationTime.ToUnixTimeMilliseconds(),
            [new Tag("sagemaker.tuning_job", spec.Name), new Tag("kiln.job.kind", Kind), new Tag(SystemTags.User, spec.CreatedBy)], spec.Name).ConfigureAwait(false);
        await tracking.LogBatchAsync(run.Info.RunId, [],
        [
            new Param("strategy", spec.Strategy),
            new Param("objective", $"{(spec.Objective.Maximize ? "Maximize" : "Minimize")} {spec.Objective.MetricName}"),
            new Param("max_training_jobs", spec.MaxTrainingJobs?.ToString(CultureInfo.InvariantCulture) ?? "grid"),
            new Param("max_parallel_training_jobs", spec.MaxParallelTrainingJobs.ToString(CultureInfo.InvariantCulture)),
            new Param("early_stopping", spec.EarlyStopping),
            new Param("random_seed", spec.RandomSeed.ToString(CultureInfo.InvariantCulture)),
        ], []).ConfigureAwait(false);
        await store.UpdateAsync(job.Name, current => current with { ParentRunId = run.Info.RunId }).ConfigureAwait(false);
        return run.Info.RunId;
    }

    private async Task FinishParentRunAsync(string runId, TuningJob job, RunStatus status)
    {
        try
        {
            if (job.Best is { } best)
            {
                var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
                await tracking.LogBatchAsync(runId, [new Metric(job.Spec.Objective.MetricName, best.Objective!.Value, now, job.Trials.Count)], [],
                    [new Tag("sagemaker.best_training_job", best.TrainingJobName)]).ConfigureAwait(false);
            }

            await tracking.UpdateRunAsync(runId, status, clock.GetUtcNow().ToUnixTimeMilliseconds(), null).ConfigureAwait(false);
        }
        catch (KilnException e)
        {
            LogRunNotUpdated(e, runId);
        }
    }

    private Task<TuningJob> MarkAsync(string name, string trial, Func<Trial, Trial> change, CancellationToken ct) =>
        store.UpdateAsync(name, current => current with { Trials = current.Trials.Select(t => t.TrainingJobName == trial ? change(t) : t).ToList() }, ct)!;

    private static Task<TuningJob?> EndAsync(JobAttempt<TuningJob> attempt, TuningJobStatus status, string? failure = null, string? reason = null) =>
        attempt.EndAsync((current, now) => current with
        {
            Status = status,
            FailureReason = JobFailure.Truncate(failure),
            CompletionReason = current.CompletionReason ?? reason,
            EndTime = now,
        });

    private static int Index(TuningJobSpec spec, string? definition) =>
        Math.Max(0, spec.Definitions.ToList().FindIndex(d => d.Name == definition));

    private static TuningObjective Objective(TuningJobSpec spec, string? definition) => spec.Definitions[Index(spec, definition)].Objective ?? spec.Objective;

    [LoggerMessage(Level = LogLevel.Information, Message = "Tuning job {Name}: started trial {Trial} ({Values})")]
    private partial void LogTrial(string name, string trial, string values);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not update the tuning job's run {RunId}")]
    private partial void LogRunNotUpdated(Exception exception, string runId);

    /// <summary>One definition's search: its space, its strategy, and its objective as a loss (lower is better).</summary>
    private sealed class DefinitionSearch
    {
        private readonly ISearchStrategy _strategy;
        private readonly ParameterSpace _space;

        public DefinitionSearch(TrainingDefinition definition, TuningJobSpec spec)
        {
            Definition = definition;
            Objective = definition.Objective ?? spec.Objective;
            _space = new ParameterSpace(definition.Ranges);
            _strategy = SearchStrategy.Create(spec.Strategy, _space, spec.RandomSeed + spec.Definitions.ToList().IndexOf(definition), spec.MaxTrainingJobs ?? 100);
        }

        public TrainingDefinition Definition { get; }

        public TuningObjective Objective { get; }

        public Dictionary<string, string>? Next(int trials) => _strategy.Suggest() is { } point ? _space.Values(point) : null;

        /// <summary>After a restart: the strategy counts this trial as suggested, so the next suggestion is new.</summary>
        public void Replay(Trial trial) => _strategy.Replay(_space.Point(trial.TunedHyperParameters));

        public void Learn(Trial trial)
        {
            if (_space.Point(trial.TunedHyperParameters) is { } point)
            {
                _strategy.Observe(point, trial.Objective is { } value ? (Objective.Maximize ? -value : value) : double.NaN);
            }
        }
    }
}

/// <summary>Finished trials' curves from their tracked runs (the metric history the training job logged step by step).</summary>
public sealed class TrackedTrialCurves(ITrainingJobStore trainingJobs, TrackingService tracking) : ITrialCurves
{
    public TrainingJobStatus? Status(string trainingJobName) => trainingJobs.FindAsync(trainingJobName).GetAwaiter().GetResult()?.Status;

    public IReadOnlyList<(long Step, double Value)> Curve(string trainingJobName, string metric)
    {
        if (trainingJobs.FindAsync(trainingJobName).GetAwaiter().GetResult() is not { RunId: { } runId })
        {
            return [];
        }

        var page = tracking.GetMetricHistoryAsync(runId, metric, null, null).GetAwaiter().GetResult();
        return page.Items.Select(point => (point.Step, point.Value)).OrderBy(point => point.Step).ToList();
    }
}
