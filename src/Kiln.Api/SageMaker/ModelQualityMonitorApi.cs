using Kiln.Api.SageMaker.Generated;
using Kiln.Core.Monitoring;

namespace Kiln.Api.SageMaker;

/// <summary>
/// Model Monitor's model quality job definitions: an endpoint's captured predictions merged with uploaded ground truth.
/// Schedules and executions of every type go through <see cref="MonitoringApi"/>.
/// </summary>
internal static class ModelQualityMonitorApi
{
    private const string ModelQuality = MonitoringTypes.ModelQuality;

    public static void Register()
    {
        SageMakerApi.Add<CreateModelQualityJobDefinitionRequest>("CreateModelQualityJobDefinition", CreateAsync);
        SageMakerApi.Add<DescribeModelQualityJobDefinitionRequest>("DescribeModelQualityJobDefinition", DescribeAsync);
        SageMakerApi.Add<ListModelQualityJobDefinitionsRequest>("ListModelQualityJobDefinitions", ListAsync);
        SageMakerApi.Add<DeleteModelQualityJobDefinitionRequest>("DeleteModelQualityJobDefinition", DeleteAsync);
    }

    private static async Task<object?> CreateAsync(CreateModelQualityJobDefinitionRequest request, SageMakerCall call)
    {
        var input = request.ModelQualityJobInput!;
        var definition = MonitorJobDefinitionShapes.FromRequest(request, ModelQuality, call) with
        {
            ModelQuality = new ModelQualitySpec(
                request.ModelQualityAppSpecification!.ProblemType ?? throw MonitoringApi.Invalid("ModelQualityAppSpecification.ProblemType is required: BinaryClassification, MulticlassClassification or Regression."),
                input.GroundTruthS3Input?.S3Uri ?? throw MonitoringApi.Invalid("ModelQualityJobInput.GroundTruthS3Input.S3Uri is required: where the ground truth labels are uploaded."),
                input.EndpointInput?.InferenceAttribute ?? input.BatchTransformInput?.InferenceAttribute,
                input.EndpointInput?.ProbabilityAttribute ?? input.BatchTransformInput?.ProbabilityAttribute,
                input.EndpointInput?.ProbabilityThresholdAttribute ?? input.BatchTransformInput?.ProbabilityThresholdAttribute),
        };

        var created = await call.Service<MonitoringService>().CreateJobDefinitionAsync(definition, call.Aborted);
        return new CreateModelQualityJobDefinitionResponse { JobDefinitionArn = MonitorJobDefinitionShapes.Arn(call, created) };
    }

    private static async Task<object?> DescribeAsync(DescribeModelQualityJobDefinitionRequest request, SageMakerCall call)
    {
        var definition = await call.Service<MonitoringService>().DescribeJobDefinitionAsync(request.JobDefinitionName!, ModelQuality, call.Aborted);
        var quality = definition.ModelQuality!;
        var described = MonitorJobDefinitionShapes.Describe<DescribeModelQualityJobDefinitionResponse>(call, definition);
        return described with
        {
            ModelQualityAppSpecification = described.ModelQualityAppSpecification! with { ProblemType = quality.ProblemType },
            ModelQualityJobInput = described.ModelQualityJobInput! with
            {
                EndpointInput = described.ModelQualityJobInput.EndpointInput is { } endpoint
                    ? endpoint with
                    {
                        InferenceAttribute = quality.InferenceAttribute,
                        ProbabilityAttribute = quality.ProbabilityAttribute,
                        ProbabilityThresholdAttribute = quality.ProbabilityThresholdAttribute,
                    }
                    : null,
                BatchTransformInput = described.ModelQualityJobInput.BatchTransformInput is { } batch
                    ? batch with
                    {
                        InferenceAttribute = quality.InferenceAttribute,
                        ProbabilityAttribute = quality.ProbabilityAttribute,
                        ProbabilityThresholdAttribute = quality.ProbabilityThresholdAttribute,
                    }
                    : null,
                GroundTruthS3Input = new MonitoringGroundTruthS3Input { S3Uri = quality.GroundTruthS3Uri },
            },
        };
    }

    private static async Task<object?> ListAsync(ListModelQualityJobDefinitionsRequest request, SageMakerCall call)
    {
        var query = MonitoringApi.Query(request.NameContains, null, request.CreationTimeAfter, request.CreationTimeBefore, null, null, request.SortBy, request.SortOrder, request.MaxResults, request.NextToken);
        var (summaries, next) = await MonitorJobDefinitionShapes.ListAsync(ModelQuality, query, request.EndpointName, call);
        return new ListModelQualityJobDefinitionsResponse { JobDefinitionSummaries = summaries, NextToken = next };
    }

    private static async Task<object?> DeleteAsync(DeleteModelQualityJobDefinitionRequest request, SageMakerCall call)
    {
        await call.Service<MonitoringService>().DeleteJobDefinitionAsync(request.JobDefinitionName!, ModelQuality, call.Aborted);
        return null;
    }
}
