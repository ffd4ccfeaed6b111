using System.Text.Json;
using Kiln.Api.SageMaker.Generated;
using Kiln.Core.Processing;

namespace Kiln.Api.SageMaker;

/// <summary>CreateProcessingJob, DescribeProcessingJob, ListProcessingJobs, StopProcessingJob over the processing domain.</summary>
internal static class ProcessingJobsApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreateProcessingJobRequest>("CreateProcessingJob", CreateAsync);
        SageMakerApi.Add<DescribeProcessingJobRequest>("DescribeProcessingJob", DescribeAsync);
        SageMakerApi.Add<ListProcessingJobsRequest>("ListProcessingJobs", ListAsync);
        SageMakerApi.Add<StopProcessingJobRequest>("StopProcessingJob", StopAsync);
    }

    private static async Task<object?> CreateAsync(CreateProcessingJobRequest request, SageMakerCall call)
    {
        Security.CodeExecutionPolicy.Demand(call.Who,
            Security.CodeExecutionPolicy.ProcessingRunsCode(request.AppSpecification?.ImageUri, call.Service<IEnumerable<Core.Processing.IBuiltInProcessor>>()),
            $"processing job '{request.ProcessingJobName}' (image {request.AppSpecification?.ImageUri})");
        var inputs = new List<Core.Processing.ProcessingInput>();
        foreach (var input in request.ProcessingInputs ?? [])
        {
            var s3 = input.S3Input ?? throw new SageMakerException("ValidationException", $"ProcessingInputs '{input.InputName}': S3Input is required (Kiln reads no DatasetDefinition sources).");
            if (s3.S3InputMode == "Pipe")
            {
                throw new SageMakerException("ValidationException", $"ProcessingInputs '{input.InputName}': S3InputMode Pipe is not supported by Kiln; use File.");
            }

            inputs.Add(new Core.Processing.ProcessingInput(
                input.InputName!, s3.S3Uri!, s3.LocalPath ?? throw new SageMakerException("ValidationException", $"ProcessingInputs '{input.InputName}': S3Input.LocalPath is required."),
                s3.S3DataType!, s3.S3InputMode ?? "File", s3.S3DataDistributionType ?? "FullyReplicated", s3.S3CompressionType ?? "None"));
        }

        var outputs = new List<Core.Processing.ProcessingOutput>();
        foreach (var output in request.ProcessingOutputConfig?.Outputs ?? [])
        {
            var s3 = output.S3Output ?? throw new SageMakerException("ValidationException", $"ProcessingOutputConfig.Outputs '{output.OutputName}': S3Output is required (Kiln writes no feature store outputs).");
            outputs.Add(new Core.Processing.ProcessingOutput(
                output.OutputName!, s3.S3Uri!, s3.LocalPath ?? throw new SageMakerException("ValidationException", $"ProcessingOutputConfig.Outputs '{output.OutputName}': S3Output.LocalPath is required."),
                s3.S3UploadMode!));
        }

        var cluster = request.ProcessingResources!.ClusterConfig!;
        if (cluster.InstanceCount > 1)
        {
            throw new SageMakerException("ValidationException",
                $"Kiln processes on one instance, so ProcessingResources.ClusterConfig.InstanceCount must be 1 (it is {cluster.InstanceCount}): the job's code would be told of one host, not {cluster.InstanceCount}.");
        }

        var network = request.NetworkConfig is null ? null : JsonSerializer.Serialize(request.NetworkConfig, AwsJson.Options);
        var spec = new ProcessingJobSpec
        {
            Name = request.ProcessingJobName!,
            ImageUri = request.AppSpecification!.ImageUri!,
            ContainerEntrypoint = request.AppSpecification.ContainerEntrypoint ?? [],
            ContainerArguments = request.AppSpecification.ContainerArguments ?? [],
            Environment = request.Environment ?? [],
            Inputs = inputs,
            Outputs = outputs,
            InstanceType = cluster.InstanceType!,
            InstanceCount = cluster.InstanceCount!.Value,
            VolumeSizeInGB = cluster.VolumeSizeInGB!.Value,
            MaxRuntimeInSeconds = request.StoppingCondition?.MaxRuntimeInSeconds ?? 86_400,
            RoleArn = request.RoleArn,
            Tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList(),
            CreatedBy = call.Caller.AccessKeyId,
            NetworkConfig = network,
            NotActedOn = network is null ? [] : ["Kiln runs the job's command on its own node: NetworkConfig (network isolation, traffic encryption, VPC) stored but not acted on."],
        };
        await call.Service<ProcessingJobService>().CreateAsync(spec, call.Aborted);
        return new CreateProcessingJobResponse { ProcessingJobArn = call.Arn("processing-job", spec.Name) };
    }

    private static async Task<object?> DescribeAsync(DescribeProcessingJobRequest request, SageMakerCall call)
    {
        var job = await call.Service<ProcessingJobService>().DescribeAsync(request.ProcessingJobName!, call.Aborted);
        var spec = job.Spec;
        return new DescribeProcessingJobResponse
        {
            ProcessingInputs = spec.Inputs.Count == 0 ? null : spec.Inputs.Select(input => new Generated.ProcessingInput
            {
                InputName = input.Name,
                AppManaged = false,
                S3Input = new ProcessingS3Input
                {
                    S3Uri = input.Uri,
                    LocalPath = input.LocalPath,
                    S3DataType = input.DataType,
                    S3InputMode = input.InputMode,
                    S3DataDistributionType = input.DistributionType,
                    S3CompressionType = input.CompressionType,
                },
            }).ToList(),
            ProcessingOutputConfig = spec.Outputs.Count == 0 ? null : new ProcessingOutputConfig
            {
                Outputs = spec.Outputs.Select(output => new Generated.ProcessingOutput
                {
                    OutputName = output.Name,
                    AppManaged = false,
                    S3Output = new ProcessingS3Output { S3Uri = output.Uri, LocalPath = output.LocalPath, S3UploadMode = output.UploadMode },
                }).ToList(),
            },
            ProcessingJobName = spec.Name,
            ProcessingResources = new ProcessingResources
            {
                ClusterConfig = new ProcessingClusterConfig { InstanceCount = spec.InstanceCount, InstanceType = spec.InstanceType, VolumeSizeInGB = spec.VolumeSizeInGB },
            },
            StoppingCondition = new ProcessingStoppingCondition { MaxRuntimeInSeconds = spec.MaxRuntimeInSeconds },
            AppSpecification = new AppSpecification
            {
                ImageUri = spec.ImageUri,
                ContainerEntrypoint = spec.ContainerEntrypoint.Count == 0 ? null : spec.ContainerEntrypoint.ToList(),
                ContainerArguments = spec.ContainerArguments.Count == 0 ? null : spec.ContainerArguments.ToList(),
            },
            Environment = spec.Environment.Count == 0 ? null : spec.Environment.ToDictionary(),
            RoleArn = spec.RoleArn,
            ProcessingJobArn = call.Arn("processing-job", spec.Name),
            ProcessingJobStatus = job.Status.ToString(),
            ExitMessage = job.ExitMessage,
            FailureReason = job.FailureReason,
            ProcessingStartTime = job.ProcessingStartTime,
            ProcessingEndTime = job.ProcessingEndTime,
            LastModifiedTime = job.LastModifiedTime,
            CreationTime = job.CreationTime,
            NetworkConfig = spec.NetworkConfig is null ? null : JsonSerializer.Deserialize<NetworkConfig>(spec.NetworkConfig, AwsJson.Options),
        };
    }

    private static async Task<object?> ListAsync(ListProcessingJobsRequest request, SageMakerCall call)
    {
        var page = await JobListing.PageAsync(request, query => call.Service<ProcessingJobService>().ListAsync(query, call.Aborted));
        return new ListProcessingJobsResponse
        {
            ProcessingJobSummaries = page.Items.Select(job => new ProcessingJobSummary
            {
                ProcessingJobName = job.Name,
                ProcessingJobArn = call.Arn("processing-job", job.Name),
                CreationTime = job.CreationTime,
                ProcessingEndTime = job.ProcessingEndTime,
                LastModifiedTime = job.LastModifiedTime,
                ProcessingJobStatus = job.Status.ToString(),
                FailureReason = job.FailureReason,
                ExitMessage = job.ExitMessage,
            }).ToList(),
            NextToken = page.NextPageToken,
        };
    }

    private static async Task<object?> StopAsync(StopProcessingJobRequest request, SageMakerCall call)
    {
        await call.Service<ProcessingJobService>().StopAsync(request.ProcessingJobName!, call.Aborted);
        return null;
    }
}
