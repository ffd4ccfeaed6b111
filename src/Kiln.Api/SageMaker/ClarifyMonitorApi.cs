using Kiln.Api.SageMaker.Generated;
using Kiln.Core.Monitoring;

namespace Kiln.Api.SageMaker;

/// <summary>
/// Model Monitor's Clarify slice: ModelBias and ModelExplainability job definitions. Both are
/// <see cref="MonitorJobDefinition"/>s with a <see cref="ClarifyMonitorSpec"/>; each API sees only its own type.
/// </summary>
internal static class ClarifyMonitorApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreateModelBiasJobDefinitionRequest>("CreateModelBiasJobDefinition", CreateBiasAsync);
        SageMakerApi.Add<DescribeModelBiasJobDefinitionRequest>("DescribeModelBiasJobDefinition", DescribeBiasAsync);
        SageMakerApi.Add<ListModelBiasJobDefinitionsRequest>("ListModelBiasJobDefinitions", ListBiasAsync);
        SageMakerApi.Add<DeleteModelBiasJobDefinitionRequest>("DeleteModelBiasJobDefinition", (request, call) => DeleteAsync(MonitoringTypes.ModelBias, request.JobDefinitionName!, call));
        SageMakerApi.Add<CreateModelExplainabilityJobDefinitionRequest>("CreateModelExplainabilityJobDefinition", CreateExplainabilityAsync);
        SageMakerApi.Add<DescribeModelExplainabilityJobDefinitionRequest>("DescribeModelExplainabilityJobDefinition", DescribeExplainabilityAsync);
        SageMakerApi.Add<ListModelExplainabilityJobDefinitionsRequest>("ListModelExplainabilityJobDefinitions", ListExplainabilityAsync);
        SageMakerApi.Add<DeleteModelExplainabilityJobDefinitionRequest>("DeleteModelExplainabilityJobDefinition", (request, call) => DeleteAsync(MonitoringTypes.ModelExplainability, request.JobDefinitionName!, call));
    }

    private static async Task<object?> CreateBiasAsync(CreateModelBiasJobDefinitionRequest request, SageMakerCall call)
    {
        var input = request.ModelBiasJobInput!;
        var spec = new ClarifyMonitorSpec(request.ModelBiasAppSpecification!.ConfigUri!, GroundTruthS3Uri: input.GroundTruthS3Input?.S3Uri);
        var created = await CreateAsync(MonitoringTypes.ModelBias, request, input.EndpointInput, spec, call);
        return new CreateModelBiasJobDefinitionResponse { JobDefinitionArn = MonitorJobDefinitionShapes.Arn(call, created) };
    }

    private static async Task<object?> CreateExplainabilityAsync(CreateModelExplainabilityJobDefinitionRequest request, SageMakerCall call)
    {
        var spec = new ClarifyMonitorSpec(request.ModelExplainabilityAppSpecification!.ConfigUri!);
        var created = await CreateAsync(MonitoringTypes.ModelExplainability, request, request.ModelExplainabilityJobInput!.EndpointInput, spec, call);
        return new CreateModelExplainabilityJobDefinitionResponse { JobDefinitionArn = MonitorJobDefinitionShapes.Arn(call, created) };
    }

    /// <summary>The request's common parts with the Clarify settings: the analysis config and how the captured predictions read.</summary>
    private static Task<MonitorJobDefinition> CreateAsync(string type, object request, EndpointInput? input, ClarifyMonitorSpec clarify, SageMakerCall call)
    {
        var definition = MonitorJobDefinitionShapes.FromRequest(request, type, call) with
        {
            Clarify = clarify with
            {
                FeaturesAttribute = input?.FeaturesAttribute,
                InferenceAttribute = input?.InferenceAttribute,
                ProbabilityAttribute = input?.ProbabilityAttribute,
                ProbabilityThresholdAttribute = input?.ProbabilityThresholdAttribute,
            },
        };
        return call.Service<ClarifyMonitorService>().CreateAsync(definition, call.Aborted);
    }

    private static async Task<object?> DescribeBiasAsync(DescribeModelBiasJobDefinitionRequest request, SageMakerCall call)
    {
        var definition = await call.Service<ClarifyMonitorService>().DescribeAsync(MonitoringTypes.ModelBias, request.JobDefinitionName!, call.Aborted);
        var described = MonitorJobDefinitionShapes.Describe<DescribeModelBiasJobDefinitionResponse>(call, definition);
        return described with
        {
            ModelBiasAppSpecification = described.ModelBiasAppSpecification! with { ConfigUri = definition.Clarify!.ConfigUri },
            ModelBiasJobInput = new ModelBiasJobInput
            {
                EndpointInput = EndpointInputOf(definition),
                GroundTruthS3Input = new MonitoringGroundTruthS3Input { S3Uri = definition.Clarify.GroundTruthS3Uri },
            },
        };
    }

    private static async Task<object?> DescribeExplainabilityAsync(DescribeModelExplainabilityJobDefinitionRequest request, SageMakerCall call)
    {
        var definition = await call.Service<ClarifyMonitorService>().DescribeAsync(MonitoringTypes.ModelExplainability, request.JobDefinitionName!, call.Aborted);
        var described = MonitorJobDefinitionShapes.Describe<DescribeModelExplainabilityJobDefinitionResponse>(call, definition);
        return described with
        {
            ModelExplainabilityAppSpecification = described.ModelExplainabilityAppSpecification! with { ConfigUri = definition.Clarify!.ConfigUri },
            ModelExplainabilityJobInput = new ModelExplainabilityJobInput { EndpointInput = EndpointInputOf(definition) },
        };
    }

    private static async Task<object?> ListBiasAsync(ListModelBiasJobDefinitionsRequest request, SageMakerCall call)
    {
        var query = MonitoringApi.Query(request.NameContains, null, request.CreationTimeAfter, request.CreationTimeBefore, null, null, request.SortBy, request.SortOrder, request.MaxResults, request.NextToken);
        var (summaries, next) = await MonitorJobDefinitionShapes.ListAsync(MonitoringTypes.ModelBias, query, request.EndpointName, call);
        return new ListModelBiasJobDefinitionsResponse { JobDefinitionSummaries = summaries, NextToken = next };
    }

    private static async Task<object?> ListExplainabilityAsync(ListModelExplainabilityJobDefinitionsRequest request, SageMakerCall call)
    {
        var query = MonitoringApi.Query(request.NameContains, null, request.CreationTimeAfter, request.CreationTimeBefore, null, null, request.SortBy, request.SortOrder, request.MaxResults, request.NextToken);
        var (summaries, next) = await MonitorJobDefinitionShapes.ListAsync(MonitoringTypes.ModelExplainability, query, request.EndpointName, call);
        return new ListModelExplainabilityJobDefinitionsResponse { JobDefinitionSummaries = summaries, NextToken = next };
    }

    private static async Task<object?> DeleteAsync(string type, string name, SageMakerCall call)
    {
        await call.Service<ClarifyMonitorService>().DeleteAsync(type, name, call.Aborted);
        return null;
    }

    private static EndpointInput EndpointInputOf(MonitorJobDefinition definition) => MonitorJobDefinitionShapes.EndpointInputOf(definition) with
    {
        FeaturesAttribute = definition.Clarify?.FeaturesAttribute,
        InferenceAttribute = definition.Clarify?.InferenceAttribute,
        ProbabilityAttribute = definition.Clarify?.ProbabilityAttribute,
        ProbabilityThresholdAttribute = definition.Clarify?.ProbabilityThresholdAttribute,
    };
}
