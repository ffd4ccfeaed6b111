using Kiln.Api.SageMaker.Shapes;
using Kiln.Core.AutoML;
using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Api.SageMaker;

/// <summary>AutoML jobs in both of SageMaker's dialects (CreateAutoMLJob and CreateAutoMLJobV2) over one AutoML domain.</summary>
internal static class AutoMLApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreateAutoMLJobV2Request>("CreateAutoMLJobV2", CreateV2Async);
        SageMakerApi.Add<CreateAutoMLJobRequest>("CreateAutoMLJob", CreateV1Async);
        SageMakerApi.Add<AutoMLJobNameRequest>("DescribeAutoMLJobV2", DescribeV2Async);
        SageMakerApi.Add<AutoMLJobNameRequest>("DescribeAutoMLJob", DescribeV1Async);
        SageMakerApi.Add<ListAutoMLJobsRequest>("ListAutoMLJobs", ListAsync);
        SageMakerApi.Add<ListCandidatesForAutoMLJobRequest>("ListCandidatesForAutoMLJob", ListCandidatesAsync);
        SageMakerApi.Add<AutoMLJobNameRequest>("StopAutoMLJob", StopAsync);
    }

    private static async Task<object?> CreateV2Async(CreateAutoMLJobV2Request request, SageMakerCall call)
    {
        var problemConfig = request.AutoMLProblemTypeConfig!;
        var configs = new object?[] { problemConfig.TabularJobConfig, problemConfig.TextClassificationJobConfig, problemConfig.ImageClassificationJobConfig, problemConfig.TimeSeriesForecastingJobConfig, problemConfig.TextGenerationJobConfig };
        if (configs.Count(config => config is not null) != 1)
        {
            throw new SageMakerException("ValidationException", "AutoMLProblemTypeConfig must contain exactly one of TabularJobConfig, TextClassificationJobConfig, ImageClassificationJobConfig, TimeSeriesForecastingJobConfig or TextGenerationJobConfig.");
        }

        if (problemConfig.TabularJobConfig is null && problemConfig.TextClassificationJobConfig is null)
        {
            throw new SageMakerException("ValidationException", "Kiln's AutoML supports the Tabular and TextClassification problem types; image classification, time-series forecasting and text generation are not available.");
        }

        var (training, validation) = Channels(request.AutoMLJobInputDataConfig!.Select(c => (c.ChannelType, c.DataSource)).ToList());
        var tabular = problemConfig.TabularJobConfig;
        var text = problemConfig.TextClassificationJobConfig;
        var criteria = tabular?.CompletionCriteria ?? text?.CompletionCriteria;
        var spec = new AutoMLJobSpec
        {
            Name = request.AutoMLJobName!,
            ApiVersion = 2,
            TrainingDataUri = training,
            ValidationDataUri = validation,
            ContentType = request.AutoMLJobInputDataConfig!.First(c => c.ChannelType is null or "training").ContentType,
            TargetColumn = tabular?.TargetAttributeName ?? text!.TargetLabelColumn!,
            TextColumn = text?.ContentColumn,
            ProblemType = text is not null ? AutoMLProblemType.TextClassification : tabular!.ProblemType is { } declared ? Enum.Parse<AutoMLProblemType>(declared) : null,
            ObjectiveMetric = request.AutoMLJobObjective?.MetricName,
            MaxCandidates = criteria?.MaxCandidates,
            MaxRuntimePerTrainingJobInSeconds = criteria?.MaxRuntimePerTrainingJobInSeconds,
            MaxAutoMLJobRuntimeInSeconds = criteria?.MaxAutoMLJobRuntimeInSeconds,
            Mode = Mode(tabular?.Mode),
            ValidationFraction = request.DataSplitConfig?.ValidationFraction,
            OutputPath = request.OutputDataConfig!.S3OutputPath!,
            RoleArn = request.RoleArn,
            GenerateCandidateDefinitionsOnly = tabular?.GenerateCandidateDefinitionsOnly ?? false,
            DeployEndpointName = request.ModelDeployConfig?.EndpointName is { Length: > 0 } endpoint ? endpoint : null,
            AutoGenerateEndpointName = request.ModelDeployConfig?.AutoGenerateEndpointName ?? false,
            Tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList(),
            CreatedBy = call.Caller.AccessKeyId,
        };
        await call.Service<AutoMLJobService>().CreateAsync(spec, call.Aborted);
        return new CreateAutoMLJobResponse(call.Arn("automl-job", spec.Name));
    }

    private static async Task<object?> CreateV1Async(CreateAutoMLJobRequest request, SageMakerCall call)
    {
        var channels = request.InputDataConfig!;
        var targets = channels.Select(c => c.TargetAttributeName).Distinct().ToList();
        if (targets.Count != 1)
        {
            throw new SageMakerException("ValidationException", "Every channel in InputDataConfig must name the same TargetAttributeName.");
        }

        var (training, validation) = Channels(channels.Select(c => (c.ChannelType, c.DataSource)).ToList());
        var config = request.AutoMLJobConfig;
        var spec = new AutoMLJobSpec
        {
            Name = request.AutoMLJobName!,
            ApiVersion = 1,
            TrainingDataUri = training,
            ValidationDataUri = validation,
            ContentType = channels.First(c => c.ChannelType is null or "training").ContentType,
            TargetColumn = targets[0]!,
            ProblemType = request.ProblemType is { } declared ? Enum.Parse<AutoMLProblemType>(declared) : null,
            ObjectiveMetric = request.AutoMLJobObjective?.MetricName,
            MaxCandidates = config?.CompletionCriteria?.MaxCandidates,
            MaxRuntimePerTrainingJobInSeconds = config?.CompletionCriteria?.MaxRuntimePerTrainingJobInSeconds,
            MaxAutoMLJobRuntimeInSeconds = config?.CompletionCriteria?.MaxAutoMLJobRuntimeInSeconds,
            Mode = Mode(config?.Mode),
            ValidationFraction = config?.DataSplitConfig?.ValidationFraction,
            OutputPath = request.OutputDataConfig!.S3OutputPath!,
            RoleArn = request.RoleArn,
            GenerateCandidateDefinitionsOnly = request.GenerateCandidateDefinitionsOnly ?? false,
            DeployEndpointName = request.ModelDeployConfig?.EndpointName is { Length: > 0 } endpoint ? endpoint : null,
            AutoGenerateEndpointName = request.ModelDeployConfig?.AutoGenerateEndpointName ?? false,
            Tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList(),
            CreatedBy = call.Caller.AccessKeyId,
        };
        await call.Service<AutoMLJobService>().CreateAsync(spec, call.Aborted);
        return new CreateAutoMLJobResponse(call.Arn("automl-job", spec.Name));
    }

    private static (string Training, string? Validation) Channels(List<(string? Type, AutoMLDataSource? Source)> channels)
    {
        if (channels.Any(c => c.Source?.S3DataSource is null))
        {
            throw new SageMakerException("ValidationException", "Each input channel needs DataSource.S3DataSource.");
        }

        if (channels.Any(c => c.Source!.S3DataSource!.S3DataType != "S3Prefix"))
        {
            throw new SageMakerException("ValidationException", "Kiln's AutoML reads S3DataType S3Prefix (an object or a prefix of objects); manifest files are not supported.");
        }

        var training = channels.Where(c => c.Type is null or "training").ToList();
        var validation = channels.Where(c => c.Type == "validation").ToList();
        if (training.Count != 1 || validation.Count > 1)
        {
            throw new SageMakerException("ValidationException", "The input data config needs exactly one training channel and at most one validation channel.");
        }

        return (training[0].Source!.S3DataSource!.S3Uri!, validation.FirstOrDefault().Source?.S3DataSource!.S3Uri);
    }

    private static AutoMLMode Mode(string? mode) => mode switch
    {
        "ENSEMBLING" => AutoMLMode.Ensembling,
        "HYPERPARAMETER_TUNING" => AutoMLMode.HyperparameterTuning,
        _ => AutoMLMode.Auto,
    };

    private static string ModeName(AutoMLMode mode) => mode switch
    {
        AutoMLMode.Ensembling => "ENSEMBLING",
        AutoMLMode.HyperparameterTuning => "HYPERPARAMETER_TUNING",
        _ => "AUTO",
    };

    private static async Task<object?> DescribeV2Async(AutoMLJobNameRequest request, SageMakerCall call)
    {
        var job = await call.Service<AutoMLJobService>().DescribeAsync(request.AutoMLJobName!, call.Aborted);
        var spec = job.Spec;
        var criteria = Criteria(spec);
        var text = spec.ProblemType == AutoMLProblemType.TextClassification || spec.TextColumn is not null;
        return new DescribeAutoMLJobV2Response
        {
            AutoMLJobName = job.Name,
            AutoMLJobArn = call.Arn("automl-job", job.Name),
            AutoMLJobInputDataConfig = InputChannels(spec).Select(c => new AutoMLJobChannel { ChannelType = c.Type, ContentType = spec.ContentType, DataSource = Source(c.Uri) }).ToList(),
            OutputDataConfig = new AutoMLOutputDataConfig { S3OutputPath = spec.OutputPath },
            RoleArn = spec.RoleArn ?? "",
            AutoMLJobObjective = spec.ObjectiveMetric is { } metric ? new AutoMLJobObjective { MetricName = metric } : null,
            AutoMLProblemTypeConfig = text
                ? new AutoMLProblemTypeConfig { TextClassificationJobConfig = new TextClassificationJobConfig { CompletionCriteria = criteria, ContentColumn = spec.TextColumn, TargetLabelColumn = spec.TargetColumn } }
                : new AutoMLProblemTypeConfig
                {
                    TabularJobConfig = new TabularJobConfig
                    {
                        CompletionCriteria = criteria,
                        Mode = ModeName(spec.Mode),
                        GenerateCandidateDefinitionsOnly = spec.GenerateCandidateDefinitionsOnly,
                        ProblemType = spec.ProblemType?.ToString(),
                        TargetAttributeName = spec.TargetColumn,
                    },
                },
            AutoMLProblemTypeConfigName = text ? "TextClassification" : "Tabular",
            CreationTime = job.CreationTime,
            EndTime = job.EndTime,
            LastModifiedTime = job.LastModifiedTime,
            FailureReason = job.FailureReason,
            PartialFailureReasons = PartialFailures(job),
            BestCandidate = job.Best is { } best ? Candidate(job, best, call) : null,
            AutoMLJobStatus = job.Status.ToString(),
            AutoMLJobSecondaryStatus = job.SecondaryStatus,
            AutoMLJobArtifacts = Artifacts(job),
            ResolvedAttributes = job.ResolvedObjective is { } objective
                ? new AutoMLResolvedAttributes(new AutoMLJobObjective { MetricName = objective.MetricName }, ResolvedCriteria(spec),
                    text ? null : new AutoMLProblemTypeResolvedAttributes(new TabularResolvedAttributes(job.ResolvedProblemType?.ToString())))
                : null,
            ModelDeployConfig = DeployConfig(spec),
            ModelDeployResult = job.DeployedEndpointName is { } endpoint ? new ModelDeployResult(endpoint) : null,
            DataSplitConfig = spec.ValidationFraction is { } fraction ? new AutoMLDataSplitConfig { ValidationFraction = fraction } : null,
        };
    }

    private static async Task<object?> DescribeV1Async(AutoMLJobNameRequest request, SageMakerCall call)
    {
        var job = await call.Service<AutoMLJobService>().DescribeAsync(request.AutoMLJobName!, call.Aborted);
        var spec = job.Spec;
        return new DescribeAutoMLJobResponse
        {
            AutoMLJobName = job.Name,
            AutoMLJobArn = call.Arn("automl-job", job.Name),
            InputDataConfig = InputChannels(spec).Select(c => new AutoMLChannel { ChannelType = c.Type, ContentType = spec.ContentType, TargetAttributeName = spec.TargetColumn, DataSource = Source(c.Uri) }).ToList(),
            OutputDataConfig = new AutoMLOutputDataConfig { S3OutputPath = spec.OutputPath },
            RoleArn = spec.RoleArn ?? "",
            AutoMLJobObjective = spec.ObjectiveMetric is { } metric ? new AutoMLJobObjective { MetricName = metric } : null,
            ProblemType = spec.ProblemType is { } declared and not AutoMLProblemType.TextClassification ? declared.ToString() : null,
            AutoMLJobConfig = new AutoMLJobConfig
            {
                CompletionCriteria = Criteria(spec),
                DataSplitConfig = spec.ValidationFraction is { } fraction ? new AutoMLDataSplitConfig { ValidationFraction = fraction } : null,
                Mode = ModeName(spec.Mode),
            },
            CreationTime = job.CreationTime,
            EndTime = job.EndTime,
            LastModifiedTime = job.LastModifiedTime,
            FailureReason = job.FailureReason,
            PartialFailureReasons = PartialFailures(job),
            BestCandidate = job.Best is { } best ? Candidate(job, best, call) : null,
            AutoMLJobStatus = job.Status.ToString(),
            AutoMLJobSecondaryStatus = job.SecondaryStatus,
            GenerateCandidateDefinitionsOnly = spec.GenerateCandidateDefinitionsOnly,
            AutoMLJobArtifacts = Artifacts(job),
            ResolvedAttributes = job.ResolvedObjective is { } objective
                ? new ResolvedAttributes(new AutoMLJobObjective { MetricName = objective.MetricName }, job.ResolvedProblemType?.ToString(), ResolvedCriteria(spec))
                : null,
            ModelDeployConfig = DeployConfig(spec),
            ModelDeployResult = job.DeployedEndpointName is { } endpoint ? new ModelDeployResult(endpoint) : null,
        };
    }

    private static List<(string Type, string Uri)> InputChannels(AutoMLJobSpec spec) =>
        spec.ValidationDataUri is { } validation ? [("training", spec.TrainingDataUri), ("validation", validation)] : [("training", spec.TrainingDataUri)];

    private static AutoMLDataSource Source(string uri) => new() { S3DataSource = new AutoMLS3DataSource { S3DataType = "S3Prefix", S3Uri = uri } };

    private static AutoMLJobCompletionCriteria? Criteria(AutoMLJobSpec spec) =>
        spec.MaxCandidates is null && spec.MaxRuntimePerTrainingJobInSeconds is null && spec.MaxAutoMLJobRuntimeInSeconds is null ? null : new AutoMLJobCompletionCriteria
        {
            MaxCandidates = spec.MaxCandidates,
            MaxRuntimePerTrainingJobInSeconds = spec.MaxRuntimePerTrainingJobInSeconds,
            MaxAutoMLJobRuntimeInSeconds = spec.MaxAutoMLJobRuntimeInSeconds,
        };

    private static AutoMLJobCompletionCriteria ResolvedCriteria(AutoMLJobSpec spec) => new()
    {
        MaxCandidates = spec.MaxCandidates ?? AutoMLJobService.DefaultMaxCandidates,
        MaxRuntimePerTrainingJobInSeconds = spec.MaxRuntimePerTrainingJobInSeconds ?? 86_400,
        MaxAutoMLJobRuntimeInSeconds = spec.MaxAutoMLJobRuntimeInSeconds ?? 2_592_000,
    };

    private static ModelDeployConfig? DeployConfig(AutoMLJobSpec spec) =>
        spec.DeployEndpointName is null && !spec.AutoGenerateEndpointName ? null : new ModelDeployConfig { EndpointName = spec.DeployEndpointName, AutoGenerateEndpointName = spec.AutoGenerateEndpointName };

    private static List<AutoMLPartialFailureReason>? PartialFailures(AutoMLJob job)
    {
        var failed = job.Candidates.Where(c => c.Status == Core.Training.TrainingJobStatus.Failed && c.FailureReason is not null).ToList();
        return failed.Count == 0 ? null
            : failed.Take(5).Select(c => new AutoMLPartialFailureReason($"Candidate {c.Name} failed: {c.FailureReason}")).ToList();
    }

    private static AutoMLJobArtifacts? Artifacts(AutoMLJob job) =>
        job.DataExplorationReportUri is null && job.CandidateReportUri is null ? null : new AutoMLJobArtifacts(job.CandidateReportUri, job.DataExplorationReportUri);

    private static Shapes.AutoMLCandidate Candidate(AutoMLJob job, Core.AutoML.AutoMLCandidate candidate, SageMakerCall call)
    {
        var objective = job.ResolvedObjective;
        var best = candidate.Name == job.BestCandidateName;
        var steps = candidate.Members is { } members
            ? members.Select(m => new AutoMLCandidateStep("AWS::SageMaker::TrainingJob", call.Arn("training-job", m.Candidate), m.Candidate)).ToList()
            : [new AutoMLCandidateStep("AWS::SageMaker::TrainingJob", call.Arn("training-job", candidate.Name), candidate.Name)];
        return new Shapes.AutoMLCandidate
        {
            CandidateName = candidate.Name,
            FinalAutoMLJobObjectiveMetric = candidate.Objective is { } value && objective is not null
                ? new FinalAutoMLJobObjectiveMetric(objective.Maximize ? "Maximize" : "Minimize", objective.MetricName, value, objective.MetricName)
                : null,
            ObjectiveStatus = candidate.Objective is not null ? "Succeeded" : candidate.IsFinished ? "Failed" : "Pending",
            CandidateSteps = steps,
            CandidateStatus = candidate.Status.ToString(),
            InferenceContainers = candidate.ServingModelDataUrl is { } url
                ? [new AutoMLContainerDefinition(candidate.Image, url, job.ResolvedProblemType == AutoMLProblemType.Regression ? null : InferenceResponseKeys.CandidateEnvironment(classifier: true))]
                : null,
            CreationTime = candidate.CreationTime,
            EndTime = candidate.EndTime,
            LastModifiedTime = candidate.LastModifiedTime == default ? candidate.CreationTime : candidate.LastModifiedTime,
            FailureReason = candidate.FailureReason,
            CandidateProperties = new CandidateProperties(
                best && job.ExplainabilityUri is { } explainability ? new CandidateArtifactLocations(explainability, job.ModelInsightsUri) : null,
                candidate.Metrics.Count == 0 ? null : CandidateMetrics(job, candidate)),
        };
    }

    /// <summary>
    /// The candidate's metrics (means over the cross-validation folds when it was cross-validated), and then Kiln's
    /// extras with names outside SageMaker's enum: the objective's standard deviation over the folds
    /// (<c>Accuracy:CrossValidationStd</c>), the number of folds, and the metrics on the validation rows alone
    /// (<c>Holdout:Accuracy</c>).
    /// </summary>
    private static List<MetricDatum> CandidateMetrics(AutoMLJob job, Core.AutoML.AutoMLCandidate candidate)
    {
        var metrics = candidate.Metrics.Select(m => new MetricDatum(InMetricEnum(m.Key) ? m.Key : null, m.Key, m.Value, "Validation")).ToList();
        if (candidate.CrossValidationFolds is { } folds && job.ResolvedObjective is { } objective)
        {
            metrics.Add(new MetricDatum(null, $"{objective.MetricName}:CrossValidationStd", candidate.ObjectiveStandardDeviation ?? 0, "Validation"));
            metrics.Add(new MetricDatum(null, "CrossValidationFolds", folds, "Validation"));
        }

        if (candidate.HoldoutMetrics is { } holdout)
        {
            metrics.AddRange(holdout.Where(m => m.Key != "InferenceLatency").Select(m => new MetricDatum(null, $"Holdout:{m.Key}", m.Value, "Validation")));
        }

        return metrics;
    }

    private static bool InMetricEnum(string metric) => AutoMLPatterns.MetricEnum.Split('|').Contains(metric);

    private static async Task<object?> ListAsync(ListAutoMLJobsRequest request, SageMakerCall call)
    {
        var page = await JobListing.PageAsync(request, query => call.Service<AutoMLJobService>().ListAsync(query, call.Aborted));

        return new ListAutoMLJobsResponse(
            page.Items.Select(job => new AutoMLJobSummary(job.Name, call.Arn("automl-job", job.Name), job.Status.ToString(), job.SecondaryStatus,
                job.CreationTime, job.EndTime, job.LastModifiedTime, job.FailureReason, PartialFailures(job))).ToList(),
            page.NextPageToken);
    }

    private static async Task<object?> ListCandidatesAsync(ListCandidatesForAutoMLJobRequest request, SageMakerCall call)
    {
        var job = await call.Service<AutoMLJobService>().DescribeAsync(request.AutoMLJobName!, call.Aborted);
        var candidates = job.Candidates
            .Where(c => request.StatusEquals is null || c.Status.ToString() == request.StatusEquals)
            .Where(c => request.CandidateNameEquals is null || c.Name == request.CandidateNameEquals)
            .ToList();
        var descending = request.SortOrder != "Ascending";
        var objective = job.ResolvedObjective ?? new AutoMLObjective("Accuracy", true);
        List<Core.AutoML.AutoMLCandidate> sorted = request.SortBy switch
        {
            "Status" => candidates.OrderBy(c => c.Status.ToString(), StringComparer.Ordinal).ThenBy(c => c.CreationTime).ToList(),
            // Descending by objective means best first (for a Minimize objective, the smallest), as DescribeAutoMLJob's BestCandidate; candidates without one come last either way.
            "FinalObjectiveMetricValue" => descending
                ? objective.Rank(candidates)
                : [.. objective.Rank(candidates.Where(c => c.Objective is not null)).AsEnumerable().Reverse(), .. candidates.Where(c => c.Objective is null).OrderBy(c => c.CreationTime)],
            _ => candidates.OrderBy(c => c.CreationTime).ThenBy(c => c.Name, StringComparer.Ordinal).ToList(),
        };
        if (descending && request.SortBy != "FinalObjectiveMetricValue")
        {
            sorted.Reverse();
        }

        var (page, next) = JobListing.Slice(sorted, request.NextToken, request.MaxResults);
        return new ListCandidatesForAutoMLJobResponse(page.Select(c => Candidate(job, c, call)).ToList(), next);
    }

    private static async Task<object?> StopAsync(AutoMLJobNameRequest request, SageMakerCall call)
    {
        await call.Service<AutoMLJobService>().StopAsync(request.AutoMLJobName!, call.Aborted);
        return null;
    }
}
