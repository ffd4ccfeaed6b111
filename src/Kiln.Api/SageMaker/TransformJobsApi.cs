using Kiln.Api.SageMaker.Shapes;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Transform;

namespace Kiln.Api.SageMaker;

/// <summary>CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob: batch transform over the hosting domain.</summary>
internal static class TransformJobsApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreateTransformJobRequest>("CreateTransformJob", CreateAsync);
        SageMakerApi.Add<TransformJobNameRequest>("DescribeTransformJob", DescribeAsync);
        SageMakerApi.Add<ListTransformJobsRequest>("ListTransformJobs", ListAsync);
        SageMakerApi.Add<TransformJobNameRequest>("StopTransformJob", StopAsync);
    }

    private static async Task<object?> CreateAsync(CreateTransformJobRequest request, SageMakerCall call)
    {
        var input = request.TransformInput!;
        var source = input.DataSource!.S3DataSource!;
        var spec = new TransformJobSpec
        {
            Name = request.TransformJobName!,
            ModelName = request.ModelName!,
            MaxConcurrentTransforms = request.MaxConcurrentTransforms ?? 0,
            MaxPayloadInMB = request.MaxPayloadInMB ?? 6,
            BatchStrategy = request.BatchStrategy ?? "MultiRecord",
            Environment = request.Environment ?? [],
            InputUri = source.S3Uri!,
            InputDataType = source.S3DataType!,
            ContentType = input.ContentType,
            CompressionType = input.CompressionType ?? "None",
            SplitType = input.SplitType ?? "None",
            OutputPath = request.TransformOutput!.S3OutputPath!,
            Accept = request.TransformOutput.Accept,
            AssembleWith = request.TransformOutput.AssembleWith ?? "None",
            InstanceType = request.TransformResources!.InstanceType!,
            InstanceCount = request.TransformResources.InstanceCount!.Value,
            InputFilter = request.DataProcessing?.InputFilter,
            OutputFilter = request.DataProcessing?.OutputFilter,
            JoinSource = request.DataProcessing?.JoinSource ?? "None",
            Tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList(),
            CreatedBy = call.Caller.AccessKeyId,
            DataCaptureUri = request.DataCaptureConfig?.DestinationS3Uri,
            DataCaptureGenerateInferenceId = request.DataCaptureConfig?.GenerateInferenceId ?? false,
        };
        if (spec.SplitType is "RecordIO" or "TFRecord")
        {
            throw new SageMakerException("ValidationException", $"SplitType {spec.SplitType} is not supported by Kiln; use None or Line.");
        }

        try
        {
            await call.Service<TransformJobService>().CreateAsync(spec, call.Aborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.InvalidParameterValue && e.Message.StartsWith("Could not find model", StringComparison.Ordinal))
        {
            throw new SageMakerException("ValidationException", e.Message);
        }

        return new CreateTransformJobResponse(call.Arn("transform-job", spec.Name));
    }

    private static async Task<object?> DescribeAsync(TransformJobNameRequest request, SageMakerCall call)
    {
        var job = await call.Service<TransformJobService>().DescribeAsync(request.TransformJobName!, call.Aborted);
        var spec = job.Spec;
        return new DescribeTransformJobResponse
        {
            TransformJobName = spec.Name,
            TransformJobArn = call.Arn("transform-job", spec.Name),
            TransformJobStatus = job.Status.ToString(),
            FailureReason = job.FailureReason,
            ModelName = spec.ModelName,
            MaxConcurrentTransforms = spec.MaxConcurrentTransforms,
            MaxPayloadInMB = spec.MaxPayloadInMB,
            BatchStrategy = spec.BatchStrategy,
            Environment = spec.Environment.Count == 0 ? null : spec.Environment.ToDictionary(),
            TransformInput = new TransformInput
            {
                DataSource = new TransformDataSource { S3DataSource = new TransformS3DataSource { S3DataType = spec.InputDataType, S3Uri = spec.InputUri } },
                ContentType = spec.ContentType,
                CompressionType = spec.CompressionType,
                SplitType = spec.SplitType,
            },
            TransformOutput = new TransformOutput { S3OutputPath = spec.OutputPath, Accept = spec.Accept, AssembleWith = spec.AssembleWith },
            TransformResources = new TransformResources { InstanceType = spec.InstanceType, InstanceCount = spec.InstanceCount },
            CreationTime = job.CreationTime,
            TransformStartTime = job.TransformStartTime,
            TransformEndTime = job.TransformEndTime,
            DataProcessing = spec.InputFilter is null && spec.OutputFilter is null && spec.JoinSource == "None"
                ? null
                : new DataProcessing { InputFilter = spec.InputFilter, OutputFilter = spec.OutputFilter, JoinSource = spec.JoinSource },
            DataCaptureConfig = spec.DataCaptureUri is null ? null : new BatchDataCaptureConfig
            {
                DestinationS3Uri = spec.DataCaptureUri,
                GenerateInferenceId = spec.DataCaptureGenerateInferenceId ? true : null,
            },
        };
    }

    private static async Task<object?> ListAsync(ListTransformJobsRequest request, SageMakerCall call)
    {
        var page = await JobListing.PageAsync(request, query => call.Service<TransformJobService>().ListAsync(query, call.Aborted));

        return new ListTransformJobsResponse(
            page.Items.Select(job => new TransformJobSummary(
                job.Name, call.Arn("transform-job", job.Name), job.CreationTime, job.TransformEndTime, job.LastModifiedTime, job.Status.ToString(), job.FailureReason)).ToList(),
            page.NextPageToken);
    }

    private static async Task<object?> StopAsync(TransformJobNameRequest request, SageMakerCall call)
    {
        await call.Service<TransformJobService>().StopAsync(request.TransformJobName!, call.Aborted);
        return null;
    }
}
