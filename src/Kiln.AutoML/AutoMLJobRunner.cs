using System.Globalization;
using Kiln.AutoML.Candidates;
using Kiln.AutoML.Data;
using Kiln.AutoML.Evaluation;
using Kiln.AutoML.Reports;
using Kiln.Core.Artifacts;
using Kiln.Core.AutoML;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Core.Training;
using Kiln.Core.Tuning;
using Kiln.Training.Data;
using Microsoft.Extensions.Logging;

namespace Kiln.AutoML;

/// <summary>
/// Runs an AutoML job on the job engine, as Autopilot does: analyse the data (profile, problem type, objective,
/// a stratified hold-out split, the data exploration report), generate candidate pipelines, train and tune them as
/// one tuning job (the candidates are its trials), score every finished candidate on the held-out rows as it would
/// serve, optionally blend the best into an ensemble, explain the best, report, and deploy it if asked. Each step's
/// outcome is stored on the job, so a restarted job goes on from the step it had reached.
/// </summary>
public sealed partial class AutoMLJobRunner(
    IAutoMLJobStore store,
    AutoMLData tables,
    DataUris data,
    TuningJobService tuning,
    CandidateEvaluator evaluator,
    CrossValidator crossValidator,
    EnsembleBuilder ensembles,
    BestCandidateRule bestRule,
    CandidateRefitter refitter,
    ServingService hosting,
    AutoMLWorkspace workspace,
    TrainingJobEvents events,
    TimeProvider clock,
    ILogger<AutoMLJobRunner> logger) : IJobRunner
{
    private const int Seed = 7;
    private const double DefaultValidationFraction = 0.2;
    private const double TuningShare = 0.6;

    // What is kept back from MaxAutoMLJobRuntimeInSeconds for the reports, which run after the deadline the other steps keep.
    private const double ReportShare = 0.1;
    private static readonly TimeSpan MaxReportReserve = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    private readonly JobLifecycle<AutoMLJob> _lifecycle = new(AutoMLJobService.JobKind, store.FindAsync, store.UpdateAsync, clock, logger);

    public string Kind => AutoMLJobService.JobKind;

    public Task<bool> IsFinishedAsync(string name, CancellationToken ct = default) => _lifecycle.IsFinishedAsync(name, ct);

    public Task RunAsync(JobRun run) => _lifecycle.RunAsync(run, RunAsync);

    private async Task RunAsync(JobAttempt<AutoMLJob> attempt)
    {
        var work = Path.Combine(workspace.Root, "jobs", attempt.Name);
        var options = new JobRunOptions { ExpectedFailure = e => e is KilnException { Code: ErrorCode.InvalidParameterValue } ? $"ClientError: {e.Message}" : null };
        try
        {
            // The steps end the job themselves, on a stop too; only a failure is left to end here.
            await attempt.RunAsync(_ => ExecuteAsync(attempt, work), exit => exit.Kind == JobExitKind.Failed
                ? EndAsync(attempt, AutoMLJobStatus.Failed, AutoMLSecondaryStatus.Failed, exit.Unexpected ? $"AlgorithmError: {exit.Error?.Message}" : exit.FailureReason)
                : Task.CompletedTask, options).ConfigureAwait(false);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private async Task ExecuteAsync(JobAttempt<AutoMLJob> attempt, string work)
    {
        var (job, run) = (attempt.Job, attempt.Run);
        var ct = run.NodeShutdown;
        if (job.TuningJobName is null)
        {
            job = await PrepareAsync(attempt, work).ConfigureAwait(false);
            if (job.IsFinished || job.TuningJobName is null)
            {
                return;
            }
        }

        var spec = job.Spec;
        var validationTable = await tables.ReadAsync(job.ValidationSplitUri!, "text/csv;header=present", spec.TargetColumn, work, ct).ConfigureAwait(false);
        var validation = new ValidationSet(validationTable, spec.TargetColumn, TextColumn(job));
        job = await TrainCandidatesAsync(job, run, validation).ConfigureAwait(false);
        var stopped = job.StopRequested || run.StopRequested.IsCancellationRequested;

        CrossValidation? folds = null;
        if (!stopped && !validation.IsText && job.AllRowsUri is not null && job.Candidates.Any(c => c.Objective is not null))
        {
            await SetStatusAsync(job.Name, AutoMLSecondaryStatus.TrainingModels).ConfigureAwait(false);
            (job, folds) = await CrossValidateAsync(job, run, work).ConfigureAwait(false);
            stopped = job.StopRequested || run.StopRequested.IsCancellationRequested;
        }

        if (!stopped && ResolvedMode(job) == AutoMLMode.Ensembling && job.Candidates.Count(c => c.Objective is not null && c.Members is null) >= 2
            && job.Candidates.All(c => c.Members is null) && !PastDeadline(job))
        {
            await SetStatusAsync(job.Name, AutoMLSecondaryStatus.TrainingModels).ConfigureAwait(false);
            var ensemble = folds is { OutOfFold.Count: >= 2 }
                ? await ensembles.BuildAsync(job, folds.Plan, folds.OutOfFold, folds.Classes, validation, work, ct).ConfigureAwait(false)
                : await ensembles.BuildAsync(job, validation, work, ct).ConfigureAwait(false);
            if (ensemble is not null)
            {
                job = await ChangeAsync(job.Name, current => current with { Candidates = [.. current.Candidates, ensemble] }).ConfigureAwait(false);
            }
        }

        var (best, standardError) = await bestRule.ChooseAsync(job, validation, ct).ConfigureAwait(false);
        if (best is null)
        {
            var failure = job.Candidates.FirstOrDefault(c => c.FailureReason is not null)?.FailureReason;
            await EndAsync(attempt, stopped ? AutoMLJobStatus.Stopped : AutoMLJobStatus.Failed, stopped ? AutoMLSecondaryStatus.Stopped : AutoMLSecondaryStatus.Failed,
                stopped ? null : $"No candidate completed{(failure is null ? "." : $"; the first failure: {failure}")}").ConfigureAwait(false);
            return;
        }

        job = await ChangeAsync(job.Name, current => current with { BestCandidateName = best.Name, BestObjectiveStandardError = standardError }).ConfigureAwait(false);
        if (!stopped && best.RefitModelDataUrl is null && !PastDeadline(job))
        {
            await SetStatusAsync(job.Name, AutoMLSecondaryStatus.TrainingModels).ConfigureAwait(false);
            // A refit that would run past the job's deadline is stopped there, and the scored model serves.
            using var refitStop = CancellationTokenSource.CreateLinkedTokenSource(run.StopRequested);
            if (Deadline(job) is { } deadline)
            {
                refitStop.CancelAfter(Max(TimeSpan.Zero, deadline - clock.GetUtcNow()));
            }

            if (await refitter.RefitAsync(job, best, work, refitStop.Token, ct).ConfigureAwait(false) is { } refit)
            {
                job = await ChangeAsync(job.Name, current => current with
                {
                    Candidates = current.Candidates.Select(c => c.Name == best.Name ? c with { RefitModelDataUrl = refit } : c).ToList(),
                }).ConfigureAwait(false);
                best = job.Best!;
            }

            stopped = job.StopRequested || run.StopRequested.IsCancellationRequested;
        }

        job = await ChangeAsync(job.Name, current => current with { SecondaryStatus = AutoMLSecondaryStatus.GeneratingExplainabilityReport }).ConfigureAwait(false);
        job = await ReportAsync(job, best, validation, ct).ConfigureAwait(false);

        if (stopped)
        {
            await EndAsync(attempt, AutoMLJobStatus.Stopped, AutoMLSecondaryStatus.Stopped).ConfigureAwait(false);
            return;
        }

        if (spec.DeployEndpointName is not null || spec.AutoGenerateEndpointName)
        {
            await SetStatusAsync(job.Name, AutoMLSecondaryStatus.DeployingModel).ConfigureAwait(false);
            var endpoint = await DeployAsync(job, best, ct).ConfigureAwait(false);
            job = await ChangeAsync(job.Name, current => current with { DeployedEndpointName = endpoint }).ConfigureAwait(false);
        }

        var tuned = await tuning.DescribeAsync(job.TuningJobName!, ct).ConfigureAwait(false);
        var secondary = tuned.CompletionReason?.StartsWith("MaxRuntimeInSeconds", StringComparison.Ordinal) == true || RuntimeSpent(job) ? AutoMLSecondaryStatus.MaxAutoMLJobRuntimeReached
            : tuned.Trials.Count >= (spec.MaxCandidates ?? AutoMLJobService.DefaultMaxCandidates) ? AutoMLSecondaryStatus.MaxCandidatesReached
            : AutoMLSecondaryStatus.Completed;
        await EndAsync(attempt, AutoMLJobStatus.Completed, secondary).ConfigureAwait(false);
    }

    /// <summary>Analysing data and feature engineering: read, profile, split, report, and start the candidates' tuning job.</summary>
    private async Task<AutoMLJob> PrepareAsync(JobAttempt<AutoMLJob> attempt, string work)
    {
        var (job, run) = (attempt.Job, attempt.Run);
        var ct = run.NodeShutdown;
        var spec = job.Spec;
        await SetStatusAsync(job.Name, AutoMLSecondaryStatus.AnalyzingData).ConfigureAwait(false);
        TableProfile profile;
        RawTable train, validation;
        AutoMLProblemType problem;
        using (await run.Slots.AcquireAsync(ct).ConfigureAwait(false))
        {
            var table = await tables.ReadAsync(spec.TrainingDataUri, spec.ContentType, spec.TargetColumn, work, ct).ConfigureAwait(false);
            profile = TableProfile.Build(table, spec.TargetColumn, spec.TextColumn);
            problem = spec.ProblemType ?? (spec.TextColumn is not null ? AutoMLProblemType.TextClassification
                : AutoMLJobService.InferProblemType(new DataCheck(table.Columns, table.Rows.Count, profile.TargetCounts.Select(c => c.Value).ToList(),
                    profile.TargetColumn.Kind == ColumnKind.Numeric)));
            var classification = problem != AutoMLProblemType.Regression;
            if (spec.ValidationDataUri is { } validationUri)
            {
                train = table;
                validation = await tables.ReadAsync(validationUri, spec.ContentType, spec.TargetColumn, work, ct).ConfigureAwait(false);
            }
            else
            {
                (train, validation) = AutoMLData.Split(table, spec.TargetColumn, spec.ValidationFraction ?? DefaultValidationFraction, classification, Seed);
            }

            var objective = spec.ObjectiveMetric is { } metric ? AutoMLJobService.Objective(metric) : AutoMLJobService.DefaultObjective(problem);
            var prefix = Prefix(job);
            var trainUri = $"{prefix}/data/train/train.csv";
            var validationUriOut = $"{prefix}/data/validation/validation.csv";
            await tables.WriteCsvAsync(train, trainUri, work, ct).ConfigureAwait(false);
            await tables.WriteCsvAsync(validation, validationUriOut, work, ct).ConfigureAwait(false);
            string? allRowsUri = null;
            if (AutoMLData.Concat(train, validation) is { } all)
            {
                allRowsUri = $"{prefix}/data/all/all.csv";
                await tables.WriteCsvAsync(all, allRowsUri, work, ct).ConfigureAwait(false);
            }
            var report = $"{prefix}/reports/data-exploration.html";
            await data.UploadTextAsync(AutoMLReports.DataExploration(job.Name, profile, problem, train.Rows.Count, validation.Rows.Count), report, "text/html; charset=utf-8", ct).ConfigureAwait(false);
            job = await ChangeAsync(job.Name, current => current with
            {
                ResolvedProblemType = problem,
                ResolvedObjective = objective,
                TrainSplitUri = trainUri,
                ValidationSplitUri = validationUriOut,
                AllRowsUri = allRowsUri,
                DataExplorationReportUri = report,
                SecondaryStatus = AutoMLSecondaryStatus.FeatureEngineering,
            }).ConfigureAwait(false);
        }

        var pipelines = CandidatePipelines.For(problem, profile, spec.TextColumn);
        job = await ChangeAsync(job.Name, current => current with
        {
            Pipelines = pipelines.Select(p => new AutoMLPipeline(p.Name, p.Algorithm, p.Image, p.Preprocessing)).ToList(),
        }).ConfigureAwait(false);
        if (spec.GenerateCandidateDefinitionsOnly)
        {
            var definitions = $"{Prefix(job)}/reports/candidate-definitions.html";
            await data.UploadTextAsync(AutoMLReports.CandidateDefinitions(job, pipelines), definitions, "text/html; charset=utf-8", ct).ConfigureAwait(false);
            await ChangeAsync(job.Name, current => current with { CandidateReportUri = definitions }).ConfigureAwait(false);
            await EndAsync(attempt, AutoMLJobStatus.Completed, AutoMLSecondaryStatus.CandidateDefinitionsGenerated).ConfigureAwait(false);
            return (await store.FindAsync(job.Name, ct).ConfigureAwait(false))!;
        }

        if (job.StopRequested || run.StopRequested.IsCancellationRequested)
        {
            await EndAsync(attempt, AutoMLJobStatus.Stopped, AutoMLSecondaryStatus.Stopped).ConfigureAwait(false);
            return (await store.FindAsync(job.Name, ct).ConfigureAwait(false))!;
        }

        var tuningName = TuningJobName(job.Name);
        try
        {
            await tuning.CreateAsync(TuningSpec(job, tuningName, pipelines), ct).ConfigureAwait(false);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceInUse)
        {
            // A restart after the tuning job was created but before the job recorded it: carry on with it.
        }

        LogTuning(job.Name, tuningName, string.Join(", ", pipelines.Select(p => p.Name)));
        return await ChangeAsync(job.Name, current => current with { TuningJobName = tuningName, SecondaryStatus = AutoMLSecondaryStatus.ModelTuning }).ConfigureAwait(false);
    }

    private TuningJobSpec TuningSpec(AutoMLJob job, string tuningName, IReadOnlyList<CandidatePipeline> pipelines)
    {
        var spec = job.Spec;
        var elapsed = (int)(clock.GetUtcNow() - job.CreationTime).TotalSeconds;
        var definitions = pipelines.Select(pipeline => new TrainingDefinition(
            pipeline.Name,
            new TrainingJobSpec
            {
                Name = "candidate",
                TrainingImage = pipeline.Image,
                Channels =
                [
                    new InputChannel("train", job.TrainSplitUri!, "text/csv;header=present"),
                    new InputChannel("validation", job.ValidationSplitUri!, "text/csv;header=present"),
                ],
                OutputPath = $"{Prefix(job)}/tuning",
                RoleArn = spec.RoleArn,
                MaxRuntimeInSeconds = spec.MaxRuntimePerTrainingJobInSeconds ?? 86_400,
                Tags = [new Tag("kiln:automl-job", job.Name)],
                CreatedBy = spec.CreatedBy,
            },
            pipeline.Ranges,
            pipeline.StaticHyperParameters,
            pipeline.TuningObjective)).ToList();
        return new TuningJobSpec
        {
            Name = tuningName,
            Strategy = TuningStrategies.Bayesian,
            Objective = pipelines[0].TuningObjective,
            MaxTrainingJobs = spec.MaxCandidates ?? AutoMLJobService.DefaultMaxCandidates,
            MaxParallelTrainingJobs = Math.Max(1, Environment.ProcessorCount),
            // The search gets most of a runtime limit; cross-validation, the ensemble, the refit and the reports need the rest.
            MaxRuntimeInSeconds = spec.MaxAutoMLJobRuntimeInSeconds is { } limit ? Math.Max(1, (int)((limit - elapsed) * TuningShare)) : null,
            RandomSeed = Seed,
            Reproducible = true,
            Definitions = definitions,
            Tags = [new Tag("kiln:automl-job", job.Name)],
            CreatedBy = spec.CreatedBy,
        };
    }

    /// <summary>Model tuning: follow the tuning job's trials as candidates, scoring each as it completes, until the tuning job ends.</summary>
    private async Task<AutoMLJob> TrainCandidatesAsync(AutoMLJob job, JobRun run, ValidationSet validation)
    {
        var ct = run.NodeShutdown;
        var stopSent = false;
        while (true)
        {
            job = (await store.FindAsync(job.Name, ct).ConfigureAwait(false))!;
            if (!stopSent && (job.StopRequested || run.StopRequested.IsCancellationRequested))
            {
                stopSent = true;
                try
                {
                    await tuning.StopAsync(job.TuningJobName!, ct).ConfigureAwait(false);
                }
                catch (KilnException)
                {
                    // It ended meanwhile.
                }
            }

            var tuned = await tuning.DescribeAsync(job.TuningJobName!, ct).ConfigureAwait(false);
            var trials = await tuning.TrialsAsync(job.TuningJobName!, ct).ConfigureAwait(false);
            job = await SyncCandidatesAsync(job, trials, validation, ct).ConfigureAwait(false);
            if (tuned.IsFinished && job.Candidates.Count == trials.Count && job.Candidates.All(c => c.IsFinished))
            {
                return job;
            }

            await events.WaitAsync(Poll, clock, ct).ConfigureAwait(false);
        }
    }

    private async Task<AutoMLJob> SyncCandidatesAsync(AutoMLJob job, IReadOnlyList<(Trial Trial, TrainingJob? Job)> trials, ValidationSet validation, CancellationToken ct)
    {
        var known = job.Candidates.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var changed = new Dictionary<string, AutoMLCandidate>(StringComparer.Ordinal);
        foreach (var (trial, trainingJob) in trials)
        {
            if (known.TryGetValue(trial.TrainingJobName, out var candidate) && candidate.IsFinished)
            {
                continue;
            }

            candidate ??= NewCandidate(job, trial, trainingJob);
            var status = trainingJob?.Status ?? trial.Status;
            var now = clock.GetUtcNow();
            if (status == TrainingJobStatus.Completed && trainingJob?.ModelArtifacts is { } model)
            {
                candidate = await ScoreAsync(job, candidate with { ModelDataUrl = model, HyperParameters = trainingJob.Spec.HyperParameters }, validation, ct).ConfigureAwait(false);
                candidate = candidate with { EndTime = trainingJob.TrainingEndTime ?? now, LastModifiedTime = now };
            }
            else if (status != candidate.Status || trainingJob?.FailureReason != candidate.FailureReason)
            {
                candidate = candidate with
                {
                    Status = status,
                    FailureReason = trainingJob?.FailureReason ?? trial.FailureReason,
                    EndTime = status is TrainingJobStatus.Failed or TrainingJobStatus.Stopped ? trainingJob?.TrainingEndTime ?? now : null,
                    LastModifiedTime = now,
                };
            }
            else if (known.ContainsKey(candidate.Name))
            {
                continue;
            }

            changed[candidate.Name] = candidate;
        }

        if (changed.Count == 0)
        {
            return job;
        }

        return await ChangeAsync(job.Name, current =>
        {
            var names = current.Candidates.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
            return current with
            {
                Candidates = [.. current.Candidates.Select(c => changed.GetValueOrDefault(c.Name) ?? c), .. changed.Values.Where(c => !names.Contains(c.Name))],
            };
        }).ConfigureAwait(false);
    }

    private AutoMLCandidate NewCandidate(AutoMLJob job, Trial trial, TrainingJob? trainingJob)
    {
        var pipeline = job.Pipelines.FirstOrDefault(p => p.Name == trial.DefinitionName) ?? job.Pipelines[0];
        return new AutoMLCandidate
        {
            Name = trial.TrainingJobName,
            Pipeline = pipeline.Name,
            Algorithm = pipeline.Algorithm,
            Preprocessing = pipeline.Preprocessing,
            Image = pipeline.Image,
            HyperParameters = trainingJob?.Spec.HyperParameters ?? trial.TunedHyperParameters,
            CreationTime = trial.CreationTime,
            LastModifiedTime = clock.GetUtcNow(),
        };
    }

    /// <summary>A completed candidate's metrics on the held-out rows; a model that cannot be loaded or scored makes the candidate fail.</summary>
    private async Task<AutoMLCandidate> ScoreAsync(AutoMLJob job, AutoMLCandidate candidate, ValidationSet validation, CancellationToken ct)
    {
        try
        {
            var score = await evaluator.ScoreAsync(candidate.Name, candidate.ModelDataUrl!, validation, job.ResolvedProblemType!.Value, ct).ConfigureAwait(false);
            return candidate with
            {
                Status = TrainingJobStatus.Completed,
                Metrics = score.Metrics,
                Objective = score.Metrics.TryGetValue(job.ResolvedObjective!.MetricName, out var value) && double.IsFinite(value) ? value : null,
            };
        }
        catch (Exception e) when (e is KilnException or InvalidDataException or IOException or InvalidOperationException)
        {
            return candidate with { Status = TrainingJobStatus.Failed, FailureReason = $"The candidate's model could not be scored: {e.Message}" };
        }
    }

    /// <summary>The reports: explainability and model insights of the best candidate, then the candidate report of all.</summary>
    private async Task<AutoMLJob> ReportAsync(AutoMLJob job, AutoMLCandidate best, ValidationSet validation, CancellationToken ct)
    {
        var prefix = Prefix(job);
        var problem = job.ResolvedProblemType!.Value;
        var (predictor, classes, _) = await evaluator.LoadAsync(best.Name, best.ModelDataUrl!, ct).ConfigureAwait(false);
        string? explainability = null;
        CandidateScore score;
        using (predictor)
        {
            score = CandidateEvaluator.Score(predictor, classes, validation, problem);
            if (!validation.IsText)
            {
                // A smooth measure (log loss, MSE) separates columns better than a count of right answers on few rows.
                var measure = problem == AutoMLProblemType.Regression ? new AutoMLObjective("MSE", false) : new AutoMLObjective("LogLoss", false);
                var importance = CandidateEvaluator.Importance(predictor, classes, validation, problem, measure, seed: Seed);
                explainability = $"{prefix}/reports/explainability/{best.Name}.html";
                await data.UploadTextAsync(AutoMLReports.Explainability(job, best, importance, measure.MetricName), explainability, "text/html; charset=utf-8", ct).ConfigureAwait(false);
                await data.UploadTextAsync(System.Text.Json.JsonSerializer.Serialize(importance.ToDictionary(i => i.Column, i => i.Importance)),
                    $"{prefix}/reports/explainability/{best.Name}.json", "application/json", ct).ConfigureAwait(false);
            }
        }

        await SetStatusAsync(job.Name, AutoMLSecondaryStatus.GeneratingModelInsightsReport).ConfigureAwait(false);
        var insights = $"{prefix}/reports/model-insights/{best.Name}.html";
        await data.UploadTextAsync(AutoMLReports.ModelInsights(job, best, score, validation), insights, "text/html; charset=utf-8", ct).ConfigureAwait(false);
        var candidates = $"{prefix}/reports/candidates.html";
        await data.UploadTextAsync(AutoMLReports.Candidates(job, job.Candidates), candidates, "text/html; charset=utf-8", ct).ConfigureAwait(false);
        return await ChangeAsync(job.Name, current => current with
        {
            ExplainabilityUri = explainability ?? insights,
            ModelInsightsUri = insights,
            CandidateReportUri = candidates,
        }).ConfigureAwait(false);
    }

    /// <summary>ModelDeployConfig: the best candidate becomes a model, an endpoint config and an endpoint of one instance.</summary>
    private async Task<string> DeployAsync(AutoMLJob job, AutoMLCandidate best, CancellationToken ct)
    {
        var spec = job.Spec;
        var endpoint = spec.DeployEndpointName ?? $"{job.Name}-endpoint";
        var now = clock.GetUtcNow();
        var model = $"{job.Name}-best";
        try
        {
            await hosting.CreateModelAsync(new HostedModel(model, best.Image, best.ServingModelDataUrl, InferenceResponseKeys.CandidateEnvironment(job.ResolvedProblemType != AutoMLProblemType.Regression), spec.RoleArn, now, []), ct).ConfigureAwait(false);
            await hosting.CreateConfigAsync(new EndpointConfig(model, [new VariantSpec("AllTraffic", model, 1, 1, "ml.m5.large")], [], null, RoutingStrategy.Weighted, now, []), ct).ConfigureAwait(false);
            await hosting.CreateEndpointAsync(endpoint, model, null, [new Tag("kiln:automl-job", job.Name)], ct).ConfigureAwait(false);
        }
        catch (KilnException e) when (e.Code is ErrorCode.ResourceInUse or ErrorCode.ResourceAlreadyExists)
        {
            // A restart after the deployment had begun.
        }

        return endpoint;
    }

    private bool RuntimeSpent(AutoMLJob job) =>
        job.Spec.MaxAutoMLJobRuntimeInSeconds is { } limit && clock.GetUtcNow() - job.CreationTime >= TimeSpan.FromSeconds(limit);

    /// <summary>When cross-validation, the ensemble and the refit must be done by: the runtime limit less a reserve for the reports.</summary>
    private static DateTimeOffset? Deadline(AutoMLJob job) => job.Spec.MaxAutoMLJobRuntimeInSeconds is { } limit
        ? job.CreationTime + TimeSpan.FromSeconds(limit) - Min(MaxReportReserve, TimeSpan.FromSeconds(limit * ReportShare))
        : null;

    private bool PastDeadline(AutoMLJob job) => Deadline(job) is { } deadline && clock.GetUtcNow() >= deadline;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The folds, the job's classes in the order the scores use, and the candidates' out-of-fold predictions.</summary>
    private sealed record CrossValidation(FoldPlan Plan, IReadOnlyList<string>? Classes, IReadOnlyList<OutOfFold> OutOfFold);

    /// <summary>
    /// Cross-validates the scored candidates on every row of the job, the most promising on the validation rows first,
    /// until the deadline; each candidate's objective becomes its mean over the folds, with the spread.
    /// </summary>
    private async Task<(AutoMLJob Job, CrossValidation? Folds)> CrossValidateAsync(AutoMLJob job, JobRun run, string work)
    {
        var ct = run.NodeShutdown;
        var spec = job.Spec;
        var problem = job.ResolvedProblemType!.Value;
        var objective = job.ResolvedObjective!;
        var classification = problem != AutoMLProblemType.Regression;
        using (await run.Slots.AcquireAsync(ct).ConfigureAwait(false))
        {
            var all = await tables.ReadAsync(job.AllRowsUri!, "text/csv;header=present", spec.TargetColumn, work, ct).ConfigureAwait(false);
            var folds = Math.Min(CrossValidator.DefaultFolds, all.Rows.Count);
            if (folds < 2)
            {
                return (job, null);
            }

            var plan = FoldPlan.Create(all, spec.TargetColumn, null, classification, folds, Seed, Path.Combine(work, "folds"));
            var classes = classification ? plan.Rows.Labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList() : null;
            var pool = objective.Rank(job.Candidates
                    .Where(c => c.Objective is not null && c.Members is null)
                    .Select(c => c.HoldoutMetrics is { } holdout ? c with { Metrics = holdout, Objective = holdout.GetValueOrDefault(objective.MetricName) } : c))
                .ToList();
            var outOfFold = new List<OutOfFold>();
            var scores = new Dictionary<string, CrossValidatedScore>(StringComparer.Ordinal);
            foreach (var candidate in pool)
            {
                if (PastDeadline(job) || job.StopRequested || run.StopRequested.IsCancellationRequested)
                {
                    break;
                }

                if (await crossValidator.RunAsync(candidate, plan, classes, work, Deadline(job), ct).ConfigureAwait(false) is not { } predictions)
                {
                    continue;
                }

                var score = CrossValidator.Score(predictions.Predictions, classes, plan, problem, objective);
                if (double.IsFinite(score.Mean))
                {
                    outOfFold.Add(predictions);
                    scores[candidate.Name] = score;
                }
            }

            LogCrossValidated(job.Name, scores.Count, pool.Count, folds);
            job = await ChangeAsync(job.Name, current => current with
            {
                Candidates = current.Candidates.Select(c => scores.TryGetValue(c.Name, out var score) ? WithCrossValidation(c, score, folds) : c).ToList(),
            }).ConfigureAwait(false);
            return (job, outOfFold.Count == 0 ? null : new CrossValidation(plan, classes, outOfFold));
        }
    }

    /// <summary>The candidate with its cross-validated metrics in front; what it scored on the validation rows stays as its hold-out metrics.</summary>
    public static AutoMLCandidate WithCrossValidation(AutoMLCandidate candidate, CrossValidatedScore score, int folds)
    {
        var holdout = candidate.HoldoutMetrics ?? candidate.Metrics;
        var metrics = score.Metrics.ToDictionary(StringComparer.Ordinal);
        if (holdout.TryGetValue("InferenceLatency", out var latency))
        {
            metrics["InferenceLatency"] = latency;
        }

        return candidate with
        {
            Metrics = metrics,
            HoldoutMetrics = holdout,
            Objective = score.Mean,
            ObjectiveStandardDeviation = score.StandardDeviation,
            CrossValidationFolds = folds,
        };
    }

    private static string Prefix(AutoMLJob job) => $"{job.Spec.OutputPath.TrimEnd('/')}/{job.Name}";

    private static string? TextColumn(AutoMLJob job) => job.ResolvedProblemType == AutoMLProblemType.TextClassification ? job.Spec.TextColumn : null;

    /// <summary>AUTO blends the tuned candidates of tabular problems into an ensemble (Autopilot ensembles data under 100 MB); text is tuned only.</summary>
    public static AutoMLMode ResolvedMode(AutoMLJob job) => job.Spec.Mode switch
    {
        AutoMLMode.Auto => job.ResolvedProblemType == AutoMLProblemType.TextClassification ? AutoMLMode.HyperparameterTuning : AutoMLMode.Ensembling,
        var mode => mode,
    };

    /// <summary>The candidates' tuning job: the AutoML job's name (cut to fit) and a hash, within the 32 characters a tuning job's name may have.</summary>
    public static string TuningJobName(string automlJob)
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(automlJob)))[..6];
        var stem = automlJob.Length > 21 ? automlJob[..21].TrimEnd('-') : automlJob;
        return FormattableString.Invariant($"{stem}-tune-{hash}");
    }

    private async Task SetStatusAsync(string name, string secondary) =>
        await store.UpdateAsync(name, current => current.IsFinished || current.SecondaryStatus == secondary || current.StopRequested
            ? null
            : current with { SecondaryStatus = secondary, LastModifiedTime = clock.GetUtcNow() }).ConfigureAwait(false);

    private async Task<AutoMLJob> ChangeAsync(string name, Func<AutoMLJob, AutoMLJob> change) =>
        await store.UpdateAsync(name, current => change(current) with { LastModifiedTime = clock.GetUtcNow() }).ConfigureAwait(false)
        ?? throw KilnException.NotFound($"The AutoML job {name} disappeared.");

    private static Task<AutoMLJob?> EndAsync(JobAttempt<AutoMLJob> attempt, AutoMLJobStatus status, string secondary, string? failure = null) =>
        attempt.EndAsync((current, now) => current with
        {
            Status = status,
            SecondaryStatus = secondary,
            FailureReason = JobFailure.Truncate(failure),
            EndTime = now,
        });

    [LoggerMessage(Level = LogLevel.Information, Message = "AutoML job {Name}: cross-validated {Count} of {Pool} candidates on {Folds} folds")]
    private partial void LogCrossValidated(string name, int count, int pool, int folds);

    [LoggerMessage(Level = LogLevel.Information, Message = "AutoML job {Name}: tuning job {Tuning} trains the pipelines {Pipelines}")]
    private partial void LogTuning(string name, string tuning, string pipelines);
}
