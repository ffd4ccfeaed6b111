using Kiln.Api.SageMaker.Shapes;
using Kiln.Core.Common;
using Kiln.Core.Training;

namespace Kiln.Api.SageMaker;

/// <summary>CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs, StopTrainingJob: SageMaker shapes to and from the training domain.</summary>
internal static class TrainingJobsApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreateTrainingJobRequest>("CreateTrainingJob", CreateAsync);
        SageMakerApi.Add<DescribeTrainingJobRequest>("DescribeTrainingJob", DescribeAsync);
        SageMakerApi.Add<ListTrainingJobsRequest>("ListTrainingJobs", ListAsync);
        SageMakerApi.Add<StopTrainingJobRequest>("StopTrainingJob", StopAsync);
    }

    private static async Task<object?> CreateAsync(CreateTrainingJobRequest request, SageMakerCall call)
    {
        var algorithm = request.AlgorithmSpecification;
        if (algorithm is null || (string.IsNullOrEmpty(algorithm.TrainingImage) && string.IsNullOrEmpty(algorithm.AlgorithmName)))
        {
            throw new SageMakerException("ValidationException", "AlgorithmSpecification must name a TrainingImage or an AlgorithmName.");
        }

        Security.CodeExecutionPolicy.Demand(call.Who,
            Security.CodeExecutionPolicy.TrainingRunsCode(algorithm.TrainingImage, algorithm.ContainerEntrypoint, request.HyperParameters, request.Environment),
            $"training job '{request.TrainingJobName}' (script mode)");
        var (stored, notes) = TrainingSettingsNotActedOn.From(request);
        var spec = new TrainingJobSpec
        {
            Name = request.TrainingJobName!,
            TrainingImage = algorithm.TrainingImage,
            AlgorithmName = algorithm.AlgorithmName,
            TrainingInputMode = algorithm.TrainingInputMode ?? "File",
            ContainerEntrypoint = algorithm.ContainerEntrypoint ?? [],
            ContainerArguments = algorithm.ContainerArguments ?? [],
            MetricDefinitions = (algorithm.MetricDefinitions ?? []).Select(m => new Core.Training.MetricDefinition(m.Name!, m.Regex!)).ToList(),
            HyperParameters = request.HyperParameters ?? [],
            Channels = (request.InputDataConfig ?? []).Select(ToChannel).ToList(),
            OutputPath = request.OutputDataConfig!.S3OutputPath!,
            RoleArn = request.RoleArn,
            InstanceType = request.ResourceConfig?.InstanceType ?? "ml.m5.large",
            InstanceCount = request.ResourceConfig?.InstanceCount ?? 1,
            VolumeSizeInGb = request.ResourceConfig?.VolumeSizeInGB ?? 30,
            MaxRuntimeInSeconds = request.StoppingCondition?.MaxRuntimeInSeconds ?? 86_400,
            Environment = request.Environment ?? [],
            ExperimentName = request.ExperimentConfig?.ExperimentName,
            TrialName = request.ExperimentConfig?.TrialName,
            RunName = request.ExperimentConfig?.RunName,
            Tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList(),
            EnableNetworkIsolation = request.EnableNetworkIsolation ?? false,
            StoredSettings = stored,
            NotActedOn = notes,
            CreatedBy = call.Caller.AccessKeyId,
        };
        await call.Service<TrainingJobService>().CreateAsync(spec, call.Aborted);
        return new CreateTrainingJobResponse(call.Arn("training-job", spec.Name));
    }

    internal static InputChannel ToChannel(Channel channel)
    {
        var s3 = channel.DataSource?.S3DataSource;
        var files = channel.DataSource?.FileSystemDataSource;
        var uri = s3?.S3Uri ?? (files is not null ? "file://" + files.DirectoryPath : null)
            ?? throw new SageMakerException("ValidationException", $"Channel '{channel.ChannelName}' needs a DataSource with an S3DataSource or a FileSystemDataSource.");
        return new InputChannel(channel.ChannelName!, uri, channel.ContentType, channel.CompressionType ?? "None", s3?.S3DataType ?? "S3Prefix", channel.InputMode);
    }

    private static async Task<object?> DescribeAsync(DescribeTrainingJobRequest request, SageMakerCall call) =>
        Describe(call, await call.Service<TrainingJobService>().DescribeAsync(request.TrainingJobName!, call.Aborted));

    /// <summary>A job as DescribeTrainingJob (and Search) shows it.</summary>
    internal static DescribeTrainingJobResponse Describe(SageMakerCall call, TrainingJob job)
    {
        var spec = job.Spec;
        return new DescribeTrainingJobResponse
        {
            TrainingJobName = spec.Name,
            TrainingJobArn = call.Arn("training-job", spec.Name),
            ModelArtifacts = new ModelArtifacts(job.ModelArtifacts ?? $"{spec.OutputPath.TrimEnd('/')}/{spec.Name}/output/model.tar.gz"),
            TrainingJobStatus = job.Status.ToString(),
            SecondaryStatus = job.SecondaryStatus,
            FailureReason = job.FailureReason,
            HyperParameters = spec.HyperParameters.ToDictionary(),
            AlgorithmSpecification = new AlgorithmSpecification
            {
                TrainingImage = spec.TrainingImage,
                AlgorithmName = spec.AlgorithmName,
                TrainingInputMode = spec.TrainingInputMode,
                MetricDefinitions = spec.MetricDefinitions.Count == 0 ? null : spec.MetricDefinitions.Select(m => new Shapes.MetricDefinition { Name = m.Name, Regex = m.Regex }).ToList(),
                ContainerEntrypoint = spec.ContainerEntrypoint.Count == 0 ? null : spec.ContainerEntrypoint.ToList(),
                ContainerArguments = spec.ContainerArguments.Count == 0 ? null : spec.ContainerArguments.ToList(),
            },
            RoleArn = spec.RoleArn,
            InputDataConfig = spec.Channels.Select(channel => new Channel
            {
                ChannelName = channel.Name,
                ContentType = channel.ContentType,
                CompressionType = channel.CompressionType,
                InputMode = channel.InputMode,
                DataSource = new DataSource { S3DataSource = new S3DataSource { S3DataType = channel.DataType, S3Uri = channel.Uri, S3DataDistributionType = "FullyReplicated" } },
            }).ToList(),
            OutputDataConfig = new OutputDataConfig { S3OutputPath = spec.OutputPath },
            ResourceConfig = new ResourceConfig { InstanceType = spec.InstanceType, InstanceCount = spec.InstanceCount, VolumeSizeInGB = spec.VolumeSizeInGb },
            StoppingCondition = new StoppingCondition { MaxRuntimeInSeconds = spec.MaxRuntimeInSeconds },
            CreationTime = job.CreationTime,
            TrainingStartTime = job.TrainingStartTime,
            TrainingEndTime = job.TrainingEndTime,
            LastModifiedTime = job.LastModifiedTime,
            SecondaryStatusTransitions = job.Transitions.Select(t => new SecondaryStatusTransition(t.Status, t.StartTime, t.EndTime, t.Message)).ToList(),
            FinalMetricDataList = job.FinalMetrics.Count == 0 ? null : job.FinalMetrics.Select(m => new MetricData { MetricName = m.Name, Value = m.Value, Timestamp = m.Timestamp }).ToList(),
            EnableNetworkIsolation = spec.EnableNetworkIsolation,
            EnableInterContainerTrafficEncryption = TrainingSettingsNotActedOn.Read<bool?>(spec.StoredSettings, "EnableInterContainerTrafficEncryption") ?? false,
            EnableManagedSpotTraining = TrainingSettingsNotActedOn.Read<bool?>(spec.StoredSettings, "EnableManagedSpotTraining") ?? false,
            TrainingTimeInSeconds = job.TrainingTimeInSeconds,
            BillableTimeInSeconds = job.TrainingTimeInSeconds,
            ExperimentConfig = spec.ExperimentName is null ? null : new Shapes.ExperimentConfig { ExperimentName = spec.ExperimentName, TrialName = spec.TrialName, RunName = spec.RunName },
            Environment = spec.Environment.Count == 0 ? null : spec.Environment.ToDictionary(),
            CheckpointConfig = TrainingSettingsNotActedOn.Read<CheckpointConfig>(spec.StoredSettings, "CheckpointConfig"),
            RetryStrategy = TrainingSettingsNotActedOn.Read<RetryStrategy>(spec.StoredSettings, "RetryStrategy"),
            DebugHookConfig = TrainingSettingsNotActedOn.Read<System.Text.Json.JsonElement?>(spec.StoredSettings, "DebugHookConfig"),
            DebugRuleConfigurations = TrainingSettingsNotActedOn.Read<System.Text.Json.JsonElement?>(spec.StoredSettings, "DebugRuleConfigurations"),
            ProfilerConfig = TrainingSettingsNotActedOn.Read<System.Text.Json.JsonElement?>(spec.StoredSettings, "ProfilerConfig"),
            ProfilerRuleConfigurations = TrainingSettingsNotActedOn.Read<System.Text.Json.JsonElement?>(spec.StoredSettings, "ProfilerRuleConfigurations"),
            TensorBoardOutputConfig = TrainingSettingsNotActedOn.Read<System.Text.Json.JsonElement?>(spec.StoredSettings, "TensorBoardOutputConfig"),
        };
    }

    private static async Task<object?> ListAsync(ListTrainingJobsRequest request, SageMakerCall call)
    {
        var query = new ListQuery(
            NameContains: request.NameContains,
            Status: request.StatusEquals is null or "Deleting" ? null : request.StatusEquals,
            CreatedAfter: request.CreationTimeAfter,
            CreatedBefore: request.CreationTimeBefore,
            ModifiedAfter: request.LastModifiedTimeAfter,
            ModifiedBefore: request.LastModifiedTimeBefore,
            SortBy: request.SortBy switch { "Name" => ListSort.Name, "Status" => ListSort.Status, _ => ListSort.CreationTime },
            Ascending: request.SortOrder != "Descending",
            MaxResults: request.MaxResults ?? 10,
            PageToken: request.NextToken);
        if (request.StatusEquals == "Deleting")
        {
            return new ListTrainingJobsResponse([], null);
        }

        Page<TrainingJob> page;
        try
        {
            page = await call.Service<TrainingJobService>().ListAsync(query, call.Aborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.InvalidParameterValue)
        {
            throw new SageMakerException("ValidationException", $"Invalid NextToken: {request.NextToken}");
        }

        return new ListTrainingJobsResponse(
            page.Items.Select(job => new TrainingJobSummary(
                job.Name, call.Arn("training-job", job.Name), job.CreationTime, job.TrainingEndTime, job.LastModifiedTime, job.Status.ToString(), job.SecondaryStatus)).ToList(),
            page.NextPageToken);
    }

    private static async Task<object?> StopAsync(StopTrainingJobRequest request, SageMakerCall call)
    {
        await call.Service<TrainingJobService>().StopAsync(request.TrainingJobName!, call.Aborted);
        return null;
    }
}
