using System.Globalization;
using Kiln.Api.SageMaker.Shapes;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Training;
using Kiln.Core.Tuning;

namespace Kiln.Api.SageMaker;

/// <summary>Hyperparameter tuning jobs: SageMaker shapes to and from the tuning domain.</summary>
internal static class TuningApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreateHyperParameterTuningJobRequest>("CreateHyperParameterTuningJob", CreateAsync);
        SageMakerApi.Add<TuningJobNameRequest>("DescribeHyperParameterTuningJob", DescribeAsync);
        SageMakerApi.Add<ListHyperParameterTuningJobsRequest>("ListHyperParameterTuningJobs", ListAsync);
        SageMakerApi.Add<ListTrainingJobsForHyperParameterTuningJobRequest>("ListTrainingJobsForHyperParameterTuningJob", ListTrialsAsync);
        SageMakerApi.Add<TuningJobNameRequest>("StopHyperParameterTuningJob", StopAsync);
    }

    private static async Task<object?> CreateAsync(CreateHyperParameterTuningJobRequest request, SageMakerCall call)
    {
        var config = request.HyperParameterTuningJobConfig!;
        var definitions = request.TrainingJobDefinitions ?? (request.TrainingJobDefinition is { } single ? [single] : []);
        if (request.TrainingJobDefinition is not null && request.TrainingJobDefinitions is not null)
        {
            throw new SageMakerException("ValidationException", "Give either TrainingJobDefinition or TrainingJobDefinitions, not both.");
        }

        var objective = config.HyperParameterTuningJobObjective is { } o ? Objective(o)
            : definitions.FirstOrDefault()?.TuningObjective is { } first ? Objective(first)
            : throw new SageMakerException("ValidationException", "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective is required (or a TuningObjective on each TrainingJobDefinition).");
        var spec = new TuningJobSpec
        {
            Name = request.HyperParameterTuningJobName!,
            Strategy = config.Strategy!,
            HyperbandMinResource = config.StrategyConfig?.HyperbandStrategyConfig?.MinResource,
            HyperbandMaxResource = config.StrategyConfig?.HyperbandStrategyConfig?.MaxResource,
            Objective = objective,
            MaxTrainingJobs = config.ResourceLimits!.MaxNumberOfTrainingJobs,
            MaxParallelTrainingJobs = config.ResourceLimits.MaxParallelTrainingJobs!.Value,
            MaxRuntimeInSeconds = config.ResourceLimits.MaxRuntimeInSeconds,
            EarlyStopping = config.TrainingJobEarlyStoppingType ?? "Off",
            TargetObjectiveValue = config.TuningJobCompletionCriteria?.TargetObjectiveMetricValue,
            MaxTrainingJobsNotImproving = config.TuningJobCompletionCriteria?.BestObjectiveNotImproving?.MaxNumberOfTrainingJobsNotImproving,
            CompleteOnConvergence = config.TuningJobCompletionCriteria?.ConvergenceDetected?.CompleteOnConvergence == "Enabled",
            RandomSeed = config.RandomSeed ?? 0,
            Definitions = definitions.Select(definition => Definition(definition, config.ParameterRanges, call)).ToList(),
            WarmStartParents = (request.WarmStartConfig?.ParentHyperParameterTuningJobs ?? []).Select(parent => parent.HyperParameterTuningJobName!).ToList(),
            WarmStartType = request.WarmStartConfig?.WarmStartType,
            Tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList(),
            CreatedBy = call.Caller.AccessKeyId,
        };
        await call.Service<TuningJobService>().CreateAsync(spec, call.Aborted);
        return new CreateHyperParameterTuningJobResponse(call.Arn("hyper-parameter-tuning-job", spec.Name));
    }

    private static TuningObjective Objective(HyperParameterTuningJobObjective objective) => new(objective.Type == "Maximize", objective.MetricName!);

    private static TrainingDefinition Definition(HyperParameterTrainingJobDefinition definition, ParameterRanges? shared, SageMakerCall call)
    {
        var algorithm = definition.AlgorithmSpecification!;
        if (string.IsNullOrEmpty(algorithm.TrainingImage) && string.IsNullOrEmpty(algorithm.AlgorithmName))
        {
            throw new SageMakerException("ValidationException", "AlgorithmSpecification must name a TrainingImage or an AlgorithmName.");
        }

        Security.CodeExecutionPolicy.Demand(call.Who,
            Security.CodeExecutionPolicy.TrainingRunsCode(algorithm.TrainingImage, null, definition.StaticHyperParameters, definition.Environment),
            "a tuning job whose training runs in script mode");
        var template = new TrainingJobSpec
        {
            Name = "trial",
            TrainingImage = algorithm.TrainingImage,
            AlgorithmName = algorithm.AlgorithmName,
            TrainingInputMode = algorithm.TrainingInputMode ?? "File",
            MetricDefinitions = (algorithm.MetricDefinitions ?? []).Select(m => new Core.Training.MetricDefinition(m.Name!, m.Regex!)).ToList(),
            HyperParameters = definition.StaticHyperParameters ?? [],
            Channels = (definition.InputDataConfig ?? []).Select(TrainingJobsApi.ToChannel).ToList(),
            OutputPath = definition.OutputDataConfig!.S3OutputPath!,
            RoleArn = definition.RoleArn,
            InstanceType = definition.ResourceConfig?.InstanceType ?? "ml.m5.large",
            InstanceCount = definition.ResourceConfig?.InstanceCount ?? 1,
            VolumeSizeInGb = definition.ResourceConfig?.VolumeSizeInGB ?? 30,
            MaxRuntimeInSeconds = definition.StoppingCondition?.MaxRuntimeInSeconds ?? 86_400,
            Environment = definition.Environment ?? [],
            EnableNetworkIsolation = definition.EnableNetworkIsolation ?? false,
            CreatedBy = call.Caller.AccessKeyId,
        };
        return new TrainingDefinition(
            definition.DefinitionName,
            template,
            Ranges(definition.HyperParameterRanges ?? shared),
            definition.StaticHyperParameters ?? [],
            definition.TuningObjective is { } objective ? Objective(objective) : null);
    }

    private static List<ParameterRange> Ranges(ParameterRanges? ranges)
    {
        var result = new List<ParameterRange>();
        foreach (var (list, kind) in new[] { (ranges?.IntegerParameterRanges, ParameterKind.Integer), (ranges?.ContinuousParameterRanges, ParameterKind.Continuous) })
        {
            foreach (var range in list ?? [])
            {
                result.Add(new ParameterRange(range.Name!, kind, Number(range.MinValue!, range.Name!, "MinValue", kind), Number(range.MaxValue!, range.Name!, "MaxValue", kind),
                    Enum.Parse<ScalingType>(range.ScalingType ?? "Auto")));
            }
        }

        foreach (var range in ranges?.CategoricalParameterRanges ?? [])
        {
            result.Add(new ParameterRange(range.Name!, ParameterKind.Categorical, Values: range.Values!));
        }

        return result;
    }

    private static double Number(string text, string name, string member, ParameterKind kind)
    {
        if (kind == ParameterKind.Integer && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        if (kind == ParameterKind.Continuous && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return number;
        }

        throw new SageMakerException("ValidationException",
            $"The {member} '{text}' of the {(kind == ParameterKind.Integer ? "integer" : "continuous")} range for '{name}' is not {(kind == ParameterKind.Integer ? "an integer" : "a number")}.");
    }

    private static async Task<object?> DescribeAsync(TuningJobNameRequest request, SageMakerCall call)
    {
        var service = call.Service<TuningJobService>();
        var job = await service.DescribeAsync(request.HyperParameterTuningJobName!, call.Aborted);
        var best = job.Best;
        var bestJob = best is null ? null : await service.TrialJobAsync(best, call.Aborted);
        var spec = job.Spec;
        var definitions = spec.Definitions.Select(ToShape).ToList();
        return new DescribeHyperParameterTuningJobResponse
        {
            HyperParameterTuningJobName = job.Name,
            HyperParameterTuningJobArn = call.Arn("hyper-parameter-tuning-job", job.Name),
            HyperParameterTuningJobConfig = new HyperParameterTuningJobConfig
            {
                Strategy = spec.Strategy,
                StrategyConfig = spec.HyperbandMinResource is null && spec.HyperbandMaxResource is null ? null
                    : new HyperParameterTuningJobStrategyConfig { HyperbandStrategyConfig = new HyperbandStrategyConfig { MinResource = spec.HyperbandMinResource, MaxResource = spec.HyperbandMaxResource } },
                HyperParameterTuningJobObjective = ToShape(spec.Objective),
                ResourceLimits = Limits(spec),
                ParameterRanges = spec.Definitions.Count == 1 ? definitions[0].HyperParameterRanges : null,
                TrainingJobEarlyStoppingType = spec.EarlyStopping,
                TuningJobCompletionCriteria = spec.TargetObjectiveValue is null && spec.MaxTrainingJobsNotImproving is null && !spec.CompleteOnConvergence ? null : new TuningJobCompletionCriteria
                {
                    TargetObjectiveMetricValue = spec.TargetObjectiveValue,
                    BestObjectiveNotImproving = spec.MaxTrainingJobsNotImproving is { } n ? new BestObjectiveNotImproving { MaxNumberOfTrainingJobsNotImproving = n } : null,
                    ConvergenceDetected = spec.CompleteOnConvergence ? new ConvergenceDetected { CompleteOnConvergence = "Enabled" } : null,
                },
                RandomSeed = spec.RandomSeed,
            },
            TrainingJobDefinition = spec.Definitions.Count == 1 ? definitions[0] : null,
            TrainingJobDefinitions = spec.Definitions.Count > 1 ? definitions : null,
            HyperParameterTuningJobStatus = job.Status.ToString(),
            CreationTime = job.CreationTime,
            HyperParameterTuningEndTime = job.EndTime,
            LastModifiedTime = job.LastModifiedTime,
            TrainingJobStatusCounters = Counters(job),
            ObjectiveStatusCounters = Objectives(job),
            BestTrainingJob = best is null ? null : Summary(job, best, bestJob, call),
            WarmStartConfig = spec.WarmStartParents.Count == 0 ? null : new HyperParameterTuningJobWarmStartConfig
            {
                ParentHyperParameterTuningJobs = spec.WarmStartParents.Select(name => new ParentHyperParameterTuningJob { HyperParameterTuningJobName = name }).ToList(),
                WarmStartType = spec.WarmStartType,
            },
            FailureReason = job.FailureReason,
            TuningJobCompletionDetails = new HyperParameterTuningJobCompletionDetails(job.TrialsNotImproving, job.ConvergenceDetectedTime),
            ConsumedResources = new HyperParameterTuningJobConsumedResources(job.RuntimeInSeconds),
        };
    }

    private static ResourceLimits Limits(TuningJobSpec spec) => new()
    {
        MaxNumberOfTrainingJobs = spec.MaxTrainingJobs,
        MaxParallelTrainingJobs = spec.MaxParallelTrainingJobs,
        MaxRuntimeInSeconds = spec.MaxRuntimeInSeconds,
    };

    private static HyperParameterTuningJobObjective ToShape(TuningObjective objective) =>
        new() { Type = objective.Maximize ? "Maximize" : "Minimize", MetricName = objective.MetricName };

    private static HyperParameterTrainingJobDefinition ToShape(TrainingDefinition definition)
    {
        string Show(double value, ParameterKind kind) => kind == ParameterKind.Integer
            ? ((long)value).ToString(CultureInfo.InvariantCulture)
            : value.ToString("R", CultureInfo.InvariantCulture);
        NumericParameterRange Numeric(ParameterRange range) => new()
        {
            Name = range.Name,
            MinValue = Show(range.Min, range.Kind),
            MaxValue = Show(range.Max, range.Kind),
            ScalingType = range.Scaling.ToString(),
        };
        var template = definition.Template;
        return new HyperParameterTrainingJobDefinition
        {
            DefinitionName = definition.Name,
            TuningObjective = definition.Objective is { } objective ? ToShape(objective) : null,
            HyperParameterRanges = new ParameterRanges
            {
                IntegerParameterRanges = definition.Ranges.Where(r => r.Kind == ParameterKind.Integer).Select(Numeric).ToList(),
                ContinuousParameterRanges = definition.Ranges.Where(r => r.Kind == ParameterKind.Continuous).Select(Numeric).ToList(),
                CategoricalParameterRanges = definition.Ranges.Where(r => r.Kind == ParameterKind.Categorical).Select(r => new CategoricalParameterRange { Name = r.Name, Values = [.. r.Values!] }).ToList(),
            },
            StaticHyperParameters = definition.StaticHyperParameters.ToDictionary(),
            AlgorithmSpecification = new HyperParameterAlgorithmSpecification
            {
                TrainingImage = template.TrainingImage,
                AlgorithmName = template.AlgorithmName,
                TrainingInputMode = template.TrainingInputMode,
                MetricDefinitions = template.MetricDefinitions.Count == 0 ? null : template.MetricDefinitions.Select(m => new Shapes.MetricDefinition { Name = m.Name, Regex = m.Regex }).ToList(),
            },
            RoleArn = template.RoleArn,
            InputDataConfig = template.Channels.Select(channel => new Channel
            {
                ChannelName = channel.Name,
                ContentType = channel.ContentType,
                CompressionType = channel.CompressionType,
                DataSource = new DataSource { S3DataSource = new S3DataSource { S3DataType = channel.DataType, S3Uri = channel.Uri } },
            }).ToList(),
            OutputDataConfig = new OutputDataConfig { S3OutputPath = template.OutputPath },
            ResourceConfig = new ResourceConfig { InstanceType = template.InstanceType, InstanceCount = template.InstanceCount, VolumeSizeInGB = template.VolumeSizeInGb },
            StoppingCondition = new StoppingCondition { MaxRuntimeInSeconds = template.MaxRuntimeInSeconds },
        };
    }

    private static TrainingJobStatusCounters Counters(TuningJob job) => new(
        job.Trials.Count(t => t.Status == TrainingJobStatus.Completed),
        job.Trials.Count(t => t.Status is TrainingJobStatus.InProgress or TrainingJobStatus.Stopping),
        0,
        job.Trials.Count(t => t.Status == TrainingJobStatus.Failed),
        job.Trials.Count(t => t.Status == TrainingJobStatus.Stopped));

    private static ObjectiveStatusCounters Objectives(TuningJob job) => new(
        job.Trials.Count(t => t.Objective is not null),
        job.Trials.Count(t => !t.IsFinished),
        job.Trials.Count(t => t.IsFinished && t.Objective is null));

    private static HyperParameterTrainingJobSummary Summary(TuningJob job, Trial trial, TrainingJob? training, SageMakerCall call)
    {
        var objective = job.Spec.Definitions.FirstOrDefault(d => d.Name == trial.DefinitionName)?.Objective ?? job.Spec.Objective;
        return new HyperParameterTrainingJobSummary
        {
            TrainingJobDefinitionName = trial.DefinitionName,
            TrainingJobName = trial.TrainingJobName,
            TrainingJobArn = call.Arn("training-job", trial.TrainingJobName),
            TuningJobName = job.Name,
            CreationTime = trial.CreationTime,
            TrainingStartTime = training?.TrainingStartTime,
            TrainingEndTime = training?.TrainingEndTime,
            TrainingJobStatus = (training?.Status ?? trial.Status).ToString(),
            TunedHyperParameters = trial.TunedHyperParameters.ToDictionary(),
            FailureReason = training?.FailureReason ?? trial.FailureReason,
            FinalHyperParameterTuningJobObjectiveMetric = trial.Objective is { } value
                ? new FinalHyperParameterTuningJobObjectiveMetric(objective.Maximize ? "Maximize" : "Minimize", objective.MetricName, value)
                : null,
            ObjectiveStatus = trial.Objective is not null ? "Succeeded" : trial.IsFinished ? "Failed" : "Pending",
        };
    }

    private static async Task<object?> ListAsync(ListHyperParameterTuningJobsRequest request, SageMakerCall call)
    {
        var page = await JobListing.PageAsync(request, query => call.Service<TuningJobService>().ListAsync(query, call.Aborted));

        return new ListHyperParameterTuningJobsResponse(
            page.Items.Select(job => new HyperParameterTuningJobSummary(
                job.Name, call.Arn("hyper-parameter-tuning-job", job.Name), job.Status.ToString(), job.Spec.Strategy, job.CreationTime, job.EndTime, job.LastModifiedTime,
                Counters(job), Objectives(job), Limits(job.Spec))).ToList(),
            page.NextPageToken);
    }

    private static async Task<object?> ListTrialsAsync(ListTrainingJobsForHyperParameterTuningJobRequest request, SageMakerCall call)
    {
        var service = call.Service<TuningJobService>();
        var job = await service.DescribeAsync(request.HyperParameterTuningJobName!, call.Aborted);
        var summaries = (await service.TrialsAsync(job.Name, call.Aborted))
            .Select(pair => Summary(job, pair.Trial, pair.Job, call))
            .Where(summary => request.StatusEquals is null || summary.TrainingJobStatus == request.StatusEquals)
            .ToList();
        var descending = request.SortOrder != "Ascending";
        IEnumerable<HyperParameterTrainingJobSummary> sorted = request.SortBy switch
        {
            "Name" => summaries.OrderBy(s => s.TrainingJobName, StringComparer.Ordinal),
            "Status" => summaries.OrderBy(s => s.TrainingJobStatus, StringComparer.Ordinal),
            // The best first when descending: for a Minimize objective that is the smallest value; trials without one last.
            "FinalObjectiveMetricValue" => summaries
                .OrderBy(s => s.FinalHyperParameterTuningJobObjectiveMetric is null)
                .ThenBy(s => (job.Spec.Objective.Maximize ? -1 : 1) * (s.FinalHyperParameterTuningJobObjectiveMetric?.Value ?? 0)),
            _ => summaries.OrderBy(s => s.CreationTime),
        };
        var list = sorted.ToList();
        if (descending && request.SortBy != "FinalObjectiveMetricValue")
        {
            list.Reverse();
        }
        else if (!descending && request.SortBy == "FinalObjectiveMetricValue")
        {
            list = list.Where(s => s.FinalHyperParameterTuningJobObjectiveMetric is not null).Reverse().Concat(list.Where(s => s.FinalHyperParameterTuningJobObjectiveMetric is null)).ToList();
        }

        var (page, next) = JobListing.Slice(list, request.NextToken, request.MaxResults);
        return new ListTrainingJobsForHyperParameterTuningJobResponse(page, next);
    }

    private static async Task<object?> StopAsync(TuningJobNameRequest request, SageMakerCall call)
    {
        await call.Service<TuningJobService>().StopAsync(request.HyperParameterTuningJobName!, call.Aborted);
        return null;
    }
}
