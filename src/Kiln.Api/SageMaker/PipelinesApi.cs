using Kiln.Api.SageMaker.Shapes;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Pipelines;
using Kiln.Core.Serving;
using Kiln.Core.Transform;
using Kiln.Pipelines;

namespace Kiln.Api.SageMaker;

/// <summary>Pipelines, executions and their steps over the pipeline engine.</summary>
internal static class PipelinesApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreatePipelineRequest>("CreatePipeline", CreateAsync);
        SageMakerApi.Add<UpdatePipelineRequest>("UpdatePipeline", UpdateAsync);
        SageMakerApi.Add<DescribePipelineRequest>("DescribePipeline", DescribeAsync);
        SageMakerApi.Add<ListPipelinesRequest>("ListPipelines", ListAsync);
        SageMakerApi.Add<DeletePipelineRequest>("DeletePipeline", DeleteAsync);
        SageMakerApi.Add<StartPipelineExecutionRequest>("StartPipelineExecution", StartAsync);
        SageMakerApi.Add<PipelineExecutionArnRequest>("DescribePipelineExecution", DescribeExecutionAsync);
        SageMakerApi.Add<ListPipelineExecutionsRequest>("ListPipelineExecutions", ListExecutionsAsync);
        SageMakerApi.Add<ListPipelineExecutionStepsRequest>("ListPipelineExecutionSteps", ListStepsAsync);
        SageMakerApi.Add<PipelineExecutionTokenRequest>("StopPipelineExecution", StopAsync);
        SageMakerApi.Add<PipelineExecutionTokenRequest>("RetryPipelineExecution", RetryAsync);
    }

    private static string PipelineArn(SageMakerCall call, string name) => call.Arn("pipeline", name);

    private static string ExecutionArn(SageMakerCall call, PipelineExecution execution) => Arns.PipelineExecution(call.Caller.Region, execution.PipelineName, execution.Id);

    private static string ExecutionId(string arn) => arn[(arn.LastIndexOf('/') + 1)..];

    private static async Task<string> DefinitionAsync(string? inline, PipelineDefinitionS3Location? location, SageMakerCall call)
    {
        if (inline is not null)
        {
            return location is null ? inline : throw new SageMakerException("ValidationException", "Give PipelineDefinition or PipelineDefinitionS3Location, not both.");
        }

        if (location is null)
        {
            throw new SageMakerException("ValidationException", "PipelineDefinition (or PipelineDefinitionS3Location) is required.");
        }

        var uri = $"s3://{location.Bucket}/{location.ObjectKey}";
        try
        {
            return await call.Service<DataUris>().ReadTextAsync(uri, call.Aborted);
        }
        catch (KilnException e)
        {
            throw new SageMakerException("ValidationException", $"PipelineDefinitionS3Location could not be read: {e.Message}");
        }
    }

    /// <summary>A name, or an ARN (whose name SageMaker lower-cases: matched without regard to case).</summary>
    private static async Task<Pipeline> PipelineAsync(SageMakerCall call, string nameOrArn)
    {
        var service = call.Service<PipelineService>();
        var marker = nameOrArn.IndexOf(":pipeline/", StringComparison.Ordinal);
        var name = marker >= 0 ? nameOrArn[(marker + ":pipeline/".Length)..] : nameOrArn;
        try
        {
            return await service.DescribeAsync(name, call.Aborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist && marker >= 0)
        {
            var page = await service.ListAsync(new ListQuery(NameContains: name, MaxResults: 100), call.Aborted);
            return page.Items.FirstOrDefault(pipeline => string.Equals(pipeline.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw KilnException.NotFound(e.Message);
        }
    }

    /// <summary>A pipeline with a step that runs a command needs the code right to be created, changed or started.</summary>
    private static void DemandCodeRight(SageMakerCall call, string definition, string pipelineName)
    {
        if (!call.Who.CanRunCode && Security.CodeExecutionPolicy.PipelineStepRunningCode(definition, call.Service<IEnumerable<Core.Processing.IBuiltInProcessor>>()) is { } step)
        {
            Security.CodeExecutionPolicy.Demand(call.Who, runsCode: true, $"pipeline '{pipelineName}' (step '{step}')");
        }
    }

    private static async Task<object?> CreateAsync(CreatePipelineRequest request, SageMakerCall call)
    {
        var definition = await DefinitionAsync(request.PipelineDefinition, request.PipelineDefinitionS3Location, call);
        DemandCodeRight(call, definition, request.PipelineName!);
        var tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList();
        var pipeline = await AlreadyExists.AsValidationAsync(
            call.Service<PipelineService>().CreateAsync(request.PipelineName!, request.PipelineDisplayName, request.PipelineDescription, definition, request.RoleArn, tags, call.Caller.AccessKeyId, call.Aborted),
            $"Pipeline names must be unique within an AWS account and region. Pipeline with name ({request.PipelineName}) already exists.");
        return new PipelineArnResponse(PipelineArn(call, pipeline.Name));
    }

    private static async Task<object?> UpdateAsync(UpdatePipelineRequest request, SageMakerCall call)
    {
        var definition = request.PipelineDefinition is null && request.PipelineDefinitionS3Location is null
            ? null
            : await DefinitionAsync(request.PipelineDefinition, request.PipelineDefinitionS3Location, call);
        if (definition is not null)
        {
            DemandCodeRight(call, definition, request.PipelineName!);
        }

        var pipeline = await call.Service<PipelineService>().UpdateAsync(
            request.PipelineName!, request.PipelineDisplayName, request.PipelineDescription, definition, request.RoleArn, call.Caller.AccessKeyId, call.Aborted);
        return new PipelineArnResponse(PipelineArn(call, pipeline.Name));
    }

    private static async Task<object?> DescribeAsync(DescribePipelineRequest request, SageMakerCall call)
    {
        var pipeline = await PipelineAsync(call, request.PipelineName!);
        return new DescribePipelineResponse
        {
            PipelineArn = PipelineArn(call, pipeline.Name),
            PipelineName = pipeline.Name,
            PipelineDisplayName = pipeline.DisplayName ?? pipeline.Name,
            PipelineDefinition = pipeline.DefinitionJson,
            PipelineDescription = pipeline.Description,
            RoleArn = pipeline.RoleArn,
            PipelineStatus = "Active",
            CreationTime = pipeline.CreationTime,
            LastModifiedTime = pipeline.LastModifiedTime,
            LastRunTime = pipeline.LastRunTime,
            CreatedBy = new UserContext { UserProfileName = pipeline.CreatedBy },
            LastModifiedBy = pipeline.LastModifiedBy is null ? null : new UserContext { UserProfileName = pipeline.LastModifiedBy },
        };
    }

    private static async Task<object?> ListAsync(ListPipelinesRequest request, SageMakerCall call)
    {
        var query = new ListQuery(
            NameContains: request.PipelineNamePrefix,
            CreatedAfter: request.CreatedAfter,
            CreatedBefore: request.CreatedBefore,
            SortBy: request.SortBy == "Name" ? ListSort.Name : ListSort.CreationTime,
            Ascending: request.SortOrder == "Ascending",
            MaxResults: request.MaxResults ?? 10,
            PageToken: request.NextToken);
        Page<Pipeline> page;
        try
        {
            page = await call.Service<PipelineService>().ListAsync(query, call.Aborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.InvalidParameterValue)
        {
            throw new SageMakerException("ValidationException", $"Invalid NextToken: {request.NextToken}");
        }

        return new ListPipelinesResponse(
            page.Items
                .Where(pipeline => request.PipelineNamePrefix is null || pipeline.Name.StartsWith(request.PipelineNamePrefix, StringComparison.OrdinalIgnoreCase))
                .Select(pipeline => new PipelineSummary(PipelineArn(call, pipeline.Name), pipeline.Name, pipeline.DisplayName ?? pipeline.Name, pipeline.Description, pipeline.RoleArn, pipeline.CreationTime, pipeline.LastModifiedTime, pipeline.LastRunTime))
                .ToList(),
            page.NextPageToken);
    }

    private static async Task<object?> DeleteAsync(DeletePipelineRequest request, SageMakerCall call)
    {
        var pipeline = await call.Service<PipelineService>().DeleteAsync(request.PipelineName!, call.Aborted);
        return new PipelineArnResponse(PipelineArn(call, pipeline.Name));
    }

    private static async Task<object?> StartAsync(StartPipelineExecutionRequest request, SageMakerCall call)
    {
        var pipeline = await PipelineAsync(call, request.PipelineName!);
        DemandCodeRight(call, pipeline.DefinitionJson, pipeline.Name);
        var parameters = (request.PipelineParameters ?? []).Select(parameter => (parameter.Name!, parameter.Value!)).ToList();
        var execution = await call.Service<PipelineService>().StartAsync(
            pipeline.Name, request.PipelineExecutionDisplayName, request.PipelineExecutionDescription, parameters, call.Caller.AccessKeyId, call.Caller.Region, call.Aborted);
        return new PipelineExecutionArnResponse(ExecutionArn(call, execution));
    }

    private static async Task<object?> DescribeExecutionAsync(PipelineExecutionArnRequest request, SageMakerCall call)
    {
        var execution = await call.Service<PipelineService>().DescribeExecutionAsync(ExecutionId(request.PipelineExecutionArn!), call.Aborted);
        return new DescribePipelineExecutionResponse
        {
            PipelineArn = PipelineArn(call, execution.PipelineName),
            PipelineExecutionArn = ExecutionArn(call, execution),
            PipelineExecutionDisplayName = execution.DisplayName ?? "execution-" + execution.CreationTime.ToUnixTimeMilliseconds(),
            PipelineExecutionStatus = execution.Status.ToString(),
            PipelineExecutionDescription = execution.Description,
            FailureReason = execution.FailureReason,
            CreationTime = execution.CreationTime,
            LastModifiedTime = execution.LastModifiedTime,
            CreatedBy = new UserContext { UserProfileName = execution.CreatedBy },
            LastModifiedBy = new UserContext { UserProfileName = execution.CreatedBy },
        };
    }

    private static async Task<object?> ListExecutionsAsync(ListPipelineExecutionsRequest request, SageMakerCall call)
    {
        var pipeline = await PipelineAsync(call, request.PipelineName!);
        var all = (await call.Service<PipelineService>().ListExecutionsAsync(pipeline.Name, call.Aborted))
            .Where(execution => (request.CreatedAfter is null || execution.CreationTime > request.CreatedAfter)
                && (request.CreatedBefore is null || execution.CreationTime < request.CreatedBefore));
        var ordered = request.SortBy == "PipelineExecutionArn"
            ? all.OrderBy(execution => execution.Id, StringComparer.Ordinal)
            : all.OrderBy(execution => execution.CreationTime);
        var list = (request.SortOrder == "Ascending" ? ordered : ordered.Reverse()).ToList();
        var (items, next) = JobListing.Slice(list, request.NextToken, request.MaxResults);
        return new ListPipelineExecutionsResponse(
            items.Select(execution => new PipelineExecutionSummary(
                ExecutionArn(call, execution), execution.CreationTime, execution.Status.ToString(), execution.Description,
                execution.DisplayName ?? "execution-" + execution.CreationTime.ToUnixTimeMilliseconds(), execution.FailureReason)).ToList(),
            next);
    }

    private static async Task<object?> ListStepsAsync(ListPipelineExecutionStepsRequest request, SageMakerCall call)
    {
        if (request.PipelineExecutionArn is null)
        {
            throw new SageMakerException("ValidationException", "PipelineExecutionArn is required.");
        }

        var execution = await call.Service<PipelineService>().DescribeExecutionAsync(ExecutionId(request.PipelineExecutionArn), call.Aborted);
        var ordered = execution.Steps.OrderBy(step => step.StartTime).ThenBy(step => step.Name, StringComparer.Ordinal);
        var steps = (request.SortOrder == "Ascending" ? ordered : ordered.Reverse()).ToList();
        var (items, next) = JobListing.Slice(steps, request.NextToken, request.MaxResults);
        return new ListPipelineExecutionStepsResponse(items.Select(step => Step(call, execution, step)).ToList(), next);
    }

    private static PipelineExecutionStep Step(SageMakerCall call, PipelineExecution execution, StepExecution step)
    {
        var arn = step.ResourceArn is null ? null : new ArnMetadata(step.ResourceArn);
        var metadata = step.Type switch
        {
            "Training" => new PipelineExecutionStepMetadata { TrainingJob = arn },
            "Processing" => new PipelineExecutionStepMetadata { ProcessingJob = arn },
            "Transform" => new PipelineExecutionStepMetadata { TransformJob = arn },
            "Tuning" => new PipelineExecutionStepMetadata { TuningJob = arn },
            "Model" => new PipelineExecutionStepMetadata { Model = arn },
            "RegisterModel" => new PipelineExecutionStepMetadata { RegisterModel = arn },
            "Condition" when step.Outcome is { } outcome => new PipelineExecutionStepMetadata { Condition = new ConditionStepMetadata(outcome ? "True" : "False") },
            "Fail" when step.ErrorMessage is { } message => new PipelineExecutionStepMetadata { Fail = new FailStepMetadata(message) },
            _ => null,
        };
        return new PipelineExecutionStep
        {
            StepName = step.Name,
            StepDisplayName = step.DisplayName,
            StepDescription = step.Description,
            StartTime = step.StartTime,
            EndTime = step.EndTime,
            StepStatus = step.Status.ToString(),
            CacheHitResult = step.CacheSourceExecutionId is { } source ? new CacheHitResult(Arns.PipelineExecution(call.Caller.Region, execution.PipelineName, source)) : null,
            FailureReason = step.FailureReason,
            Metadata = metadata,
            AttemptCount = Math.Max(step.AttemptCount, 1),
        };
    }

    private static async Task<object?> StopAsync(PipelineExecutionTokenRequest request, SageMakerCall call)
    {
        var execution = await call.Service<PipelineService>().StopAsync(ExecutionId(request.PipelineExecutionArn!), call.Aborted);
        return new PipelineExecutionArnResponse(ExecutionArn(call, execution));
    }

    private static async Task<object?> RetryAsync(PipelineExecutionTokenRequest request, SageMakerCall call)
    {
        var service = call.Service<PipelineService>();
        var id = ExecutionId(request.PipelineExecutionArn!);
        var failed = await service.DescribeExecutionAsync(id, call.Aborted);
        DemandCodeRight(call, failed.DefinitionJson, failed.PipelineName);
        var execution = await service.RetryAsync(id, call.Aborted);
        return new PipelineExecutionArnResponse(ExecutionArn(call, execution));
    }
}
