using Kiln.Api.SageMaker.Generated;
using Kiln.Core.Common;
using Kiln.Core.Monitoring;

namespace Kiln.Api.SageMaker;

/// <summary>Model Monitor's data quality slice: job definitions, monitoring schedules and their executions.</summary>
internal static class MonitoringApi
{
    private const string DataQuality = "DataQuality";

    public static void Register()
    {
        SageMakerApi.Add<CreateDataQualityJobDefinitionRequest>("CreateDataQualityJobDefinition", CreateJobDefinitionAsync);
        SageMakerApi.Add<DescribeDataQualityJobDefinitionRequest>("DescribeDataQualityJobDefinition", DescribeJobDefinitionAsync);
        SageMakerApi.Add<ListDataQualityJobDefinitionsRequest>("ListDataQualityJobDefinitions", ListJobDefinitionsAsync);
        SageMakerApi.Add<DeleteDataQualityJobDefinitionRequest>("DeleteDataQualityJobDefinition", DeleteJobDefinitionAsync);
        SageMakerApi.Add<CreateMonitoringScheduleRequest>("CreateMonitoringSchedule", CreateScheduleAsync);
        SageMakerApi.Add<DescribeMonitoringScheduleRequest>("DescribeMonitoringSchedule", DescribeScheduleAsync);
        SageMakerApi.Add<ListMonitoringSchedulesRequest>("ListMonitoringSchedules", ListSchedulesAsync);
        SageMakerApi.Add<UpdateMonitoringScheduleRequest>("UpdateMonitoringSchedule", UpdateScheduleAsync);
        SageMakerApi.Add<DeleteMonitoringScheduleRequest>("DeleteMonitoringSchedule", DeleteScheduleAsync);
        SageMakerApi.Add<StartMonitoringScheduleRequest>("StartMonitoringSchedule", StartScheduleAsync);
        SageMakerApi.Add<StopMonitoringScheduleRequest>("StopMonitoringSchedule", StopScheduleAsync);
        SageMakerApi.Add<ListMonitoringExecutionsRequest>("ListMonitoringExecutions", ListExecutionsAsync);
    }

    private static async Task<object?> CreateJobDefinitionAsync(CreateDataQualityJobDefinitionRequest request, SageMakerCall call)
    {
        var definition = MonitorJobDefinitionShapes.FromRequest(request, DataQuality, call);
        var created = await call.Service<MonitoringService>().CreateJobDefinitionAsync(definition, call.Aborted);
        return new CreateDataQualityJobDefinitionResponse { JobDefinitionArn = MonitorJobDefinitionShapes.Arn(call, created) };
    }

    private static async Task<object?> DescribeJobDefinitionAsync(DescribeDataQualityJobDefinitionRequest request, SageMakerCall call)
    {
        var definition = await call.Service<MonitoringService>().DescribeJobDefinitionAsync(request.JobDefinitionName!, DataQuality, call.Aborted);
        return MonitorJobDefinitionShapes.Describe<DescribeDataQualityJobDefinitionResponse>(call, definition);
    }

    private static async Task<object?> ListJobDefinitionsAsync(ListDataQualityJobDefinitionsRequest request, SageMakerCall call)
    {
        var query = Query(request.NameContains, null, request.CreationTimeAfter, request.CreationTimeBefore, null, null, request.SortBy, request.SortOrder, request.MaxResults, request.NextToken);
        var (summaries, next) = await MonitorJobDefinitionShapes.ListAsync(DataQuality, query, request.EndpointName, call);
        return new ListDataQualityJobDefinitionsResponse { JobDefinitionSummaries = summaries, NextToken = next };
    }

    private static async Task<object?> DeleteJobDefinitionAsync(DeleteDataQualityJobDefinitionRequest request, SageMakerCall call)
    {
        await call.Service<MonitoringService>().DeleteJobDefinitionAsync(request.JobDefinitionName!, DataQuality, call.Aborted);
        return null;
    }

    private static async Task<object?> CreateScheduleAsync(CreateMonitoringScheduleRequest request, SageMakerCall call)
    {
        var config = request.MonitoringScheduleConfig!;
        var (schedule, definition, type) = ScheduleOf(config);
        var service = call.Service<MonitoringService>();
        var created = config.MonitoringJobDefinition is { } inline
            ? await service.CreateScheduleAsync(request.MonitoringScheduleName!, schedule, InlineDefinition(inline, request.MonitoringScheduleName!, call), Tags(request.Tags), call.Aborted)
            : await service.CreateScheduleAsync(request.MonitoringScheduleName!, schedule, definition, type, Tags(request.Tags), call.Aborted);
        return new CreateMonitoringScheduleResponse { MonitoringScheduleArn = ScheduleArn(call, created.Name) };
    }

    private static async Task<object?> UpdateScheduleAsync(UpdateMonitoringScheduleRequest request, SageMakerCall call)
    {
        var config = request.MonitoringScheduleConfig!;
        var (schedule, definition, type) = ScheduleOf(config);
        var service = call.Service<MonitoringService>();
        var updated = config.MonitoringJobDefinition is { } inline
            ? await service.UpdateScheduleAsync(request.MonitoringScheduleName!, schedule, InlineDefinition(inline, request.MonitoringScheduleName!, call), call.Aborted)
            : await service.UpdateScheduleAsync(request.MonitoringScheduleName!, schedule, definition, type, call.Aborted);
        return new UpdateMonitoringScheduleResponse { MonitoringScheduleArn = ScheduleArn(call, updated.Name) };
    }

    private static async Task<object?> DescribeScheduleAsync(DescribeMonitoringScheduleRequest request, SageMakerCall call)
    {
        var service = call.Service<MonitoringService>();
        var schedule = await service.DescribeScheduleAsync(request.MonitoringScheduleName!, call.Aborted);
        var last = (await service.ListExecutionsAsync(new ListQuery(MaxResults: 1), new ExecutionFilter(ScheduleName: schedule.Name), byScheduledTime: true, call.Aborted)).Items;
        return new DescribeMonitoringScheduleResponse
        {
            MonitoringScheduleArn = ScheduleArn(call, schedule.Name),
            MonitoringScheduleName = schedule.Name,
            MonitoringScheduleStatus = schedule.Status.ToString(),
            MonitoringType = schedule.MonitoringType,
            FailureReason = schedule.FailureReason,
            CreationTime = schedule.CreationTime,
            LastModifiedTime = schedule.LastModifiedTime,
            MonitoringScheduleConfig = new MonitoringScheduleConfig
            {
                ScheduleConfig = new ScheduleConfig
                {
                    ScheduleExpression = schedule.Schedule.Expression,
                    DataAnalysisStartTime = schedule.Schedule.DataAnalysisStartTime,
                    DataAnalysisEndTime = schedule.Schedule.DataAnalysisEndTime,
                },
                MonitoringJobDefinitionName = DefinitionNameOrNull(schedule.JobDefinitionName),
                MonitoringJobDefinition = schedule.InlineDefinition is { } inline ? InlineShape(inline) : null,
                MonitoringType = schedule.MonitoringType,
            },
            EndpointName = EndpointOrNull(schedule.EndpointName),
            LastMonitoringExecutionSummary = last.Count == 0 ? null : Summary(call, last[0]),
        };
    }

    private static async Task<object?> ListSchedulesAsync(ListMonitoringSchedulesRequest request, SageMakerCall call)
    {
        var query = Query(request.NameContains, request.StatusEquals, request.CreationTimeAfter, request.CreationTimeBefore, request.LastModifiedTimeAfter, request.LastModifiedTimeBefore, request.SortBy, request.SortOrder, request.MaxResults, request.NextToken);
        var page = await call.Service<MonitoringService>().ListSchedulesAsync(query, request.EndpointName, request.MonitoringJobDefinitionName, request.MonitoringTypeEquals, call.Aborted);
        return new ListMonitoringSchedulesResponse
        {
            MonitoringScheduleSummaries = page.Items.Select(schedule => new MonitoringScheduleSummary
            {
                MonitoringScheduleName = schedule.Name,
                MonitoringScheduleArn = ScheduleArn(call, schedule.Name),
                CreationTime = schedule.CreationTime,
                LastModifiedTime = schedule.LastModifiedTime,
                MonitoringScheduleStatus = schedule.Status.ToString(),
                EndpointName = EndpointOrNull(schedule.EndpointName),
                MonitoringJobDefinitionName = DefinitionNameOrNull(schedule.JobDefinitionName),
                MonitoringType = schedule.MonitoringType,
            }).ToList(),
            NextToken = page.NextPageToken,
        };
    }

    private static async Task<object?> DeleteScheduleAsync(DeleteMonitoringScheduleRequest request, SageMakerCall call)
    {
        await call.Service<MonitoringService>().DeleteScheduleAsync(request.MonitoringScheduleName!, call.Aborted);
        return null;
    }

    private static async Task<object?> StartScheduleAsync(StartMonitoringScheduleRequest request, SageMakerCall call)
    {
        await call.Service<MonitoringService>().StartScheduleAsync(request.MonitoringScheduleName!, call.Aborted);
        return null;
    }

    private static async Task<object?> StopScheduleAsync(StopMonitoringScheduleRequest request, SageMakerCall call)
    {
        await call.Service<MonitoringService>().StopScheduleAsync(request.MonitoringScheduleName!, call.Aborted);
        return null;
    }

    private static async Task<object?> ListExecutionsAsync(ListMonitoringExecutionsRequest request, SageMakerCall call)
    {
        var query = Query(null, request.StatusEquals, request.CreationTimeAfter, request.CreationTimeBefore, request.LastModifiedTimeAfter, request.LastModifiedTimeBefore, request.SortBy, request.SortOrder, request.MaxResults, request.NextToken);
        var filter = new ExecutionFilter(request.MonitoringScheduleName, request.EndpointName, request.MonitoringJobDefinitionName, request.ScheduledTimeAfter, request.ScheduledTimeBefore, request.MonitoringTypeEquals);
        var page = await call.Service<MonitoringService>().ListExecutionsAsync(query, filter, request.SortBy is null or "ScheduledTime", call.Aborted);
        return new ListMonitoringExecutionsResponse
        {
            MonitoringExecutionSummaries = page.Items.Select(execution => Summary(call, execution)).ToList(),
            NextToken = page.NextPageToken,
        };
    }

    private static MonitoringExecutionSummary Summary(SageMakerCall call, MonitoringExecution execution) => new()
    {
        MonitoringScheduleName = execution.ScheduleName,
        ScheduledTime = execution.ScheduledTime,
        CreationTime = execution.CreationTime,
        LastModifiedTime = execution.LastModifiedTime,
        MonitoringExecutionStatus = execution.Status.ToString(),
        ProcessingJobArn = execution.ProcessingJobName is null ? null : call.Arn("processing-job", execution.ProcessingJobName),
        EndpointName = EndpointOrNull(execution.EndpointName),
        FailureReason = execution.FailureReason,
        MonitoringJobDefinitionName = DefinitionNameOrNull(execution.JobDefinitionName),
        MonitoringType = execution.MonitoringType,
    };

    /// <summary>A batch transform monitor has no endpoint: SageMaker leaves EndpointName out.</summary>
    private static string? EndpointOrNull(string endpointName) => endpointName.Length == 0 ? null : endpointName;

    /// <summary>The schedule, job definition name (empty for an inline definition) and monitoring type of a MonitoringScheduleConfig.</summary>
    private static (ScheduleSpec Schedule, string JobDefinitionName, string MonitoringType) ScheduleOf(MonitoringScheduleConfig config)
    {
        if (config.MonitoringJobDefinition is not null == config.MonitoringJobDefinitionName is not null)
        {
            throw Invalid("MonitoringScheduleConfig needs exactly one of MonitoringJobDefinitionName and MonitoringJobDefinition.");
        }

        var name = config.MonitoringJobDefinitionName ?? "";
        var type = config.MonitoringType ?? DataQuality;
        if (config.MonitoringJobDefinition is not null && type != DataQuality)
        {
            throw Invalid($"An inline MonitoringJobDefinition is a data quality job; MonitoringType {type} needs a job definition named in MonitoringJobDefinitionName.");
        }

        if (type is not (DataQuality or MonitoringTypes.ModelQuality or MonitoringTypes.ModelBias or MonitoringTypes.ModelExplainability))
        {
            throw Invalid($"MonitoringScheduleConfig.MonitoringType {config.MonitoringType} is not supported by Kiln yet; DataQuality, ModelQuality, ModelBias and ModelExplainability are.");
        }

        var schedule = config.ScheduleConfig ?? throw Invalid("MonitoringScheduleConfig.ScheduleConfig is required: Kiln runs a schedule by its ScheduleExpression.");
        return (new ScheduleSpec(schedule.ScheduleExpression!, schedule.DataAnalysisStartTime, schedule.DataAnalysisEndTime), name, type);
    }

    /// <summary>MonitoringScheduleConfig.MonitoringJobDefinition as a data quality job definition named after its schedule.</summary>
    private static MonitorJobDefinition InlineDefinition(MonitoringJobDefinition inline, string scheduleName, SageMakerCall call)
    {
        if (inline.MonitoringInputs!.Count != 1)
        {
            throw Invalid($"MonitoringJobDefinition.MonitoringInputs must hold one input (it holds {inline.MonitoringInputs.Count}).");
        }

        var input = inline.MonitoringInputs[0];
        return MonitorJobDefinitionShapes.Build(
            scheduleName,
            DataQuality,
            MonitorJobDefinitionShapes.InputOf(input.EndpointInput, input.BatchTransformInput, "MonitoringJobDefinition.MonitoringInputs[0]"),
            inline.MonitoringAppSpecification!,
            inline.Environment,
            inline.BaselineConfig,
            inline.MonitoringOutputConfig!,
            inline.MonitoringResources!.ClusterConfig!,
            inline.StoppingCondition,
            inline.RoleArn!,
            "MonitoringResources",
            "MonitoringJobDefinition.MonitoringInputs[0]") with
        {
            CreationTime = call.Service<TimeProvider>().GetUtcNow(),
        };
    }

    /// <summary>An inline job definition as DescribeMonitoringSchedule returns it.</summary>
    private static MonitoringJobDefinition InlineShape(MonitorJobDefinition definition) => new()
    {
        BaselineConfig = MonitorJobDefinitionShapes.BaselineOf(definition),
        MonitoringInputs =
        [
            new MonitoringInput
            {
                BatchTransformInput = MonitorJobDefinitionShapes.BatchTransformInputOf(definition),
                EndpointInput = definition.BatchTransform is not null ? null : MonitorJobDefinitionShapes.EndpointInputOf(definition),
            },
        ],
        MonitoringOutputConfig = MonitorJobDefinitionShapes.OutputsOf(definition),
        MonitoringResources = MonitorJobDefinitionShapes.ResourcesOf(definition),
        MonitoringAppSpecification = new MonitoringAppSpecification
        {
            ImageUri = definition.ImageUri,
            ContainerEntrypoint = MonitorJobDefinitionShapes.ListOrNull(definition.ContainerEntrypoint),
            ContainerArguments = MonitorJobDefinitionShapes.ListOrNull(definition.ContainerArguments),
            RecordPreprocessorSourceUri = definition.RecordPreprocessorSourceUri,
            PostAnalyticsProcessorSourceUri = definition.PostAnalyticsProcessorSourceUri,
        },
        StoppingCondition = MonitorJobDefinitionShapes.StoppingOf(definition),
        Environment = MonitorJobDefinitionShapes.EnvironmentOf(definition),
        RoleArn = definition.RoleArn,
    };

    private static string? DefinitionNameOrNull(string name) => name.Length == 0 ? null : name;

    internal static ListQuery Query(string? nameContains, string? status, DateTimeOffset? createdAfter, DateTimeOffset? createdBefore, DateTimeOffset? modifiedAfter, DateTimeOffset? modifiedBefore, string? sortBy, string? sortOrder, int? maxResults, string? nextToken) =>
        new(
            NameContains: nameContains,
            Status: status,
            CreatedAfter: createdAfter,
            CreatedBefore: createdBefore,
            ModifiedAfter: modifiedAfter,
            ModifiedBefore: modifiedBefore,
            SortBy: sortBy switch { "Name" => ListSort.Name, "Status" => ListSort.Status, _ => ListSort.CreationTime },
            Ascending: sortOrder == "Ascending",
            MaxResults: maxResults ?? 10,
            PageToken: nextToken);

    internal static List<Core.Tracking.Tag> Tags(List<Generated.Tag>? tags) => (tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList();

    private static string ScheduleArn(SageMakerCall call, string name) => call.Arn("monitoring-schedule", name);

    internal static SageMakerException Invalid(string message) => new("ValidationException", message);
}
