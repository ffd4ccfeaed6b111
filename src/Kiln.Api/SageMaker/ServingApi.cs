using Kiln.Api.SageMaker.Shapes;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Api.SageMaker;

/// <summary>
/// Models, endpoint configs and endpoints: SageMaker shapes to and from the hosting domain. SageMaker answers
/// "not found" and "already exists" for these resources with ValidationException (the waiters rely on it), so
/// the domain's codes are translated here.
/// </summary>
internal static class ServingApi
{
    /// <summary>Kiln's extension: an endpoint config tagged <c>kiln:routing</c> routes by a bandit instead of by weight.</summary>
    public const string RoutingTag = "kiln:routing";

    public static void Register()
    {
        SageMakerApi.Add<CreateModelRequest>("CreateModel", CreateModelAsync);
        SageMakerApi.Add<ModelNameRequest>("DescribeModel", DescribeModelAsync);
        SageMakerApi.Add<ListModelsRequest>("ListModels", ListModelsAsync);
        SageMakerApi.Add<ModelNameRequest>("DeleteModel", DeleteModelAsync);
        SageMakerApi.Add<CreateEndpointConfigRequest>("CreateEndpointConfig", CreateConfigAsync);
        SageMakerApi.Add<EndpointConfigNameRequest>("DescribeEndpointConfig", DescribeConfigAsync);
        SageMakerApi.Add<ListEndpointConfigsRequest>("ListEndpointConfigs", ListConfigsAsync);
        SageMakerApi.Add<EndpointConfigNameRequest>("DeleteEndpointConfig", DeleteConfigAsync);
        SageMakerApi.Add<CreateEndpointRequest>("CreateEndpoint", CreateEndpointAsync);
        SageMakerApi.Add<EndpointNameRequest>("DescribeEndpoint", DescribeEndpointAsync);
        SageMakerApi.Add<ListEndpointsRequest>("ListEndpoints", ListEndpointsAsync);
        SageMakerApi.Add<UpdateEndpointRequest>("UpdateEndpoint", UpdateEndpointAsync);
        SageMakerApi.Add<UpdateEndpointWeightsAndCapacitiesRequest>("UpdateEndpointWeightsAndCapacities", UpdateWeightsAsync);
        SageMakerApi.Add<EndpointNameRequest>("DeleteEndpoint", DeleteEndpointAsync);
    }

    private static async Task<object?> CreateModelAsync(CreateModelRequest request, SageMakerCall call)
    {
        var container = request.PrimaryContainer ?? request.Containers?.FirstOrDefault()
            ?? throw new SageMakerException("ValidationException", "A model needs a PrimaryContainer or Containers.");
        Security.CodeExecutionPolicy.Demand(call.Who,
            (request.Containers ?? []).Append(container).Any(c => Security.CodeExecutionPolicy.ModelRunsCode(c.Environment)),
            $"model '{request.ModelName}' (an inference script, SAGEMAKER_PROGRAM)");
        if (!call.Who.CanRunCode)
        {
            foreach (var data in (request.Containers ?? []).Append(container).Select(c => c.ModelDataUrl ?? c.ModelDataSource?.S3DataSource?.S3Uri).Distinct())
            {
                Security.CodeExecutionPolicy.Demand(call.Who,
                    await Security.ModelDataCode.HasInferenceCodeAsync(call.Service<DataUris>(), data, call.Aborted),
                    $"model '{request.ModelName}' (an inference script in the model data's code/ folder)");
            }
        }

        // Kiln is the inference container, so it can say at once what its container would refuse at start-up.
        if (container.Environment?.GetValueOrDefault(InferenceResponseKeys.Variable) is { } keys && InferenceResponseKeys.Problem(keys) is { } problem)
        {
            throw new SageMakerException("ValidationException", problem);
        }

        var tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList();
        var model = container.ModelPackageName is { } package
            ? await PackagedModel.ResolveAsync(request.ModelName!, package, container.Environment, request.ExecutionRoleArn, tags, call)
            : new HostedModel(
                request.ModelName!, container.Image, container.ModelDataUrl ?? container.ModelDataSource?.S3DataSource?.S3Uri, container.Environment ?? [],
                request.ExecutionRoleArn, DateTimeOffset.UnixEpoch, tags);
        await Serving(call, service => service.CreateModelAsync(model, call.Aborted));
        return new CreateModelResponse(call.Arn("model", model.Name));
    }

    private static async Task<object?> DescribeModelAsync(ModelNameRequest request, SageMakerCall call)
    {
        var model = await Serving(call, service => service.DescribeModelAsync(request.ModelName!, call.Aborted));
        return new DescribeModelResponse
        {
            ModelName = model.Name,
            ModelArn = call.Arn("model", model.Name),
            PrimaryContainer = new ContainerDefinition
            {
                Image = model.Image,
                ModelDataUrl = model.ModelDataUrl,
                Environment = model.Environment.Count == 0 ? null : model.Environment.ToDictionary(),
                Mode = "SingleModel",
                ModelPackageName = model.ModelPackageArn,
            },
            ExecutionRoleArn = model.ExecutionRoleArn,
            CreationTime = model.CreationTime,
        };
    }

    private static async Task<object?> ListModelsAsync(ListModelsRequest request, SageMakerCall call)
    {
        var page = await List(request, request.SortBy, call, (service, query) => service.ListModelsAsync(query, call.Aborted));
        return new ListModelsResponse(page.Items.Select(m => new ModelSummary(m.Name, call.Arn("model", m.Name), m.CreationTime)).ToList(), page.NextPageToken);
    }

    private static async Task<object?> DeleteModelAsync(ModelNameRequest request, SageMakerCall call)
    {
        await Serving(call, async service =>
        {
            await service.DeleteModelAsync(request.ModelName!, call.Aborted);
            return true;
        });
        return null;
    }

    private static async Task<object?> CreateConfigAsync(CreateEndpointConfigRequest request, SageMakerCall call)
    {
        var tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList();
        var config = new EndpointConfig(
            request.EndpointConfigName!,
            request.ProductionVariants!.Select((variant, i) => Variant(variant, $"productionVariants.{i + 1}.member")).ToList(),
            (request.ShadowProductionVariants ?? []).Select((variant, i) => Variant(variant, $"shadowProductionVariants.{i + 1}.member")).ToList(),
            request.DataCaptureConfig is { } capture ? Capture(capture) : null,
            Routing(tags),
            DateTimeOffset.UnixEpoch,
            tags,
            ExplainerConfigs.ToSpec(request.ExplainerConfig));
        await Serving(call, service => service.CreateConfigAsync(config, call.Aborted));
        return new CreateEndpointConfigResponse(call.Arn("endpoint-config", config.Name));
    }

    private static VariantSpec Variant(ProductionVariant variant, string at)
    {
        if (variant.ModelName is null)
        {
            throw new SageMakerException("ValidationException", $"1 validation error detected: Value null at '{at}.modelName' failed to satisfy constraint: Member must not be null");
        }

        if (variant.InitialInstanceCount is null && variant.ServerlessConfig is null)
        {
            throw new SageMakerException("ValidationException", $"Variant '{variant.VariantName}' needs InitialInstanceCount and InstanceType, or a ServerlessConfig.");
        }

        return new VariantSpec(variant.VariantName!, variant.ModelName, variant.InitialInstanceCount ?? 1, variant.InitialVariantWeight ?? 1.0, variant.InstanceType ?? (variant.ServerlessConfig is null ? null : "serverless"));
    }

    private static DataCaptureSpec Capture(DataCaptureConfig capture)
    {
        var modes = capture.CaptureOptions!.Select(option => option.CaptureMode).ToList();
        return new DataCaptureSpec(
            capture.EnableCapture ?? true,
            capture.InitialSamplingPercentage!.Value,
            capture.DestinationS3Uri!,
            modes.Contains("Input") || modes.Contains("InputAndOutput"),
            modes.Contains("Output") || modes.Contains("InputAndOutput"),
            capture.CaptureContentTypeHeader?.CsvContentTypes ?? [],
            capture.CaptureContentTypeHeader?.JsonContentTypes ?? []);
    }

    private static RoutingStrategy Routing(List<Core.Tracking.Tag> tags)
    {
        var value = tags.FirstOrDefault(tag => tag.Key == RoutingTag)?.Value;
        return value switch
        {
            null or "weighted" => RoutingStrategy.Weighted,
            "thompson-sampling" => RoutingStrategy.ThompsonSampling,
            "epsilon-greedy" => RoutingStrategy.EpsilonGreedy,
            "ucb" => RoutingStrategy.UpperConfidenceBound,
            _ => throw new SageMakerException("ValidationException", $"Tag {RoutingTag} has value '{value}'; use weighted, thompson-sampling, epsilon-greedy or ucb."),
        };
    }

    private static async Task<object?> DescribeConfigAsync(EndpointConfigNameRequest request, SageMakerCall call)
    {
        var config = await Serving(call, service => service.DescribeConfigAsync(request.EndpointConfigName!, call.Aborted));
        return new DescribeEndpointConfigResponse
        {
            EndpointConfigName = config.Name,
            EndpointConfigArn = call.Arn("endpoint-config", config.Name),
            ProductionVariants = config.Variants.Select(ToShape).ToList(),
            ShadowProductionVariants = config.ShadowVariants.Count == 0 ? null : config.ShadowVariants.Select(ToShape).ToList(),
            DataCaptureConfig = config.DataCapture is { } capture
                ? new DataCaptureConfig
                {
                    EnableCapture = capture.Enabled,
                    InitialSamplingPercentage = capture.SamplingPercentage,
                    DestinationS3Uri = capture.DestinationUri,
                    CaptureOptions = CaptureModes(capture).Select(mode => new CaptureOption { CaptureMode = mode }).ToList(),
                    CaptureContentTypeHeader = capture.CsvContentTypes.Count + capture.JsonContentTypes.Count == 0 ? null : new CaptureContentTypeHeader
                    {
                        CsvContentTypes = capture.CsvContentTypes.Count == 0 ? null : [.. capture.CsvContentTypes],
                        JsonContentTypes = capture.JsonContentTypes.Count == 0 ? null : [.. capture.JsonContentTypes],
                    },
                }
                : null,
            ExplainerConfig = ExplainerConfigs.ToShape(config.Explainer),
            CreationTime = config.CreationTime,
        };
    }

    private static IEnumerable<string> CaptureModes(DataCaptureSpec capture) =>
        (capture.CaptureInput, capture.CaptureOutput) switch
        {
            (true, true) => ["Input", "Output"],
            (true, false) => ["Input"],
            _ => ["Output"],
        };

    private static ProductionVariant ToShape(VariantSpec variant) => new()
    {
        VariantName = variant.VariantName,
        ModelName = variant.ModelName,
        InitialInstanceCount = variant.InitialInstanceCount,
        InitialVariantWeight = variant.InitialVariantWeight,
        InstanceType = variant.InstanceType,
    };

    private static async Task<object?> ListConfigsAsync(ListEndpointConfigsRequest request, SageMakerCall call)
    {
        var page = await List(request, request.SortBy, call, (service, query) => service.ListConfigsAsync(query, call.Aborted));
        return new ListEndpointConfigsResponse(page.Items.Select(c => new EndpointConfigSummary(c.Name, call.Arn("endpoint-config", c.Name), c.CreationTime)).ToList(), page.NextPageToken);
    }

    private static async Task<object?> DeleteConfigAsync(EndpointConfigNameRequest request, SageMakerCall call)
    {
        await Serving(call, async service =>
        {
            await service.DeleteConfigAsync(request.EndpointConfigName!, call.Aborted);
            return true;
        });
        return null;
    }

    private static async Task<object?> CreateEndpointAsync(CreateEndpointRequest request, SageMakerCall call)
    {
        var tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList();
        await Serving(call, service => service.CreateEndpointAsync(request.EndpointName!, request.EndpointConfigName!, Policy(request.DeploymentConfig), tags, call.Aborted));
        return new EndpointArnResponse(call.Arn("endpoint", request.EndpointName!));
    }

    private static BlueGreenPolicy? Policy(DeploymentConfig? config)
    {
        if (config?.BlueGreenUpdatePolicy is not { TrafficRoutingConfiguration: { } routing } policy)
        {
            return null;
        }

        if (routing.Type == BlueGreenPolicy.Canary && routing.CanarySize is null)
        {
            throw new SageMakerException("ValidationException", "TrafficRoutingConfiguration of type CANARY needs a CanarySize.");
        }

        if (routing.Type == BlueGreenPolicy.Linear && routing.LinearStepSize is null)
        {
            throw new SageMakerException("ValidationException", "TrafficRoutingConfiguration of type LINEAR needs a LinearStepSize.");
        }

        foreach (var size in new[] { routing.CanarySize, routing.LinearStepSize }.OfType<Shapes.CapacitySize>())
        {
            if (size.Type == Core.Serving.CapacitySize.CapacityPercent && size.Value > 100)
            {
                throw new SageMakerException("ValidationException", $"A CAPACITY_PERCENT size is at most 100, got {size.Value}.");
            }
        }

        return new BlueGreenPolicy(
            routing.Type!,
            routing.WaitIntervalInSeconds!.Value,
            routing.CanarySize is { } canary ? new Core.Serving.CapacitySize(canary.Type!, canary.Value!.Value) : null,
            routing.LinearStepSize is { } step ? new Core.Serving.CapacitySize(step.Type!, step.Value!.Value) : null,
            policy.TerminationWaitInSeconds,
            policy.MaximumExecutionTimeoutInSeconds,
            config.AutoRollbackConfiguration?.Alarms?.Select(alarm => alarm.AlarmName ?? "").ToList());
    }

    private static DeploymentConfig? ToShape(BlueGreenPolicy? policy) =>
        policy is null
            ? null
            : new DeploymentConfig
            {
                BlueGreenUpdatePolicy = new BlueGreenUpdatePolicy
                {
                    TrafficRoutingConfiguration = new TrafficRoutingConfig
                    {
                        Type = policy.Type,
                        WaitIntervalInSeconds = policy.WaitIntervalInSeconds,
                        CanarySize = policy.CanarySize is { } canary ? new Shapes.CapacitySize { Type = canary.Type, Value = canary.Value } : null,
                        LinearStepSize = policy.LinearStepSize is { } step ? new Shapes.CapacitySize { Type = step.Type, Value = step.Value } : null,
                    },
                    TerminationWaitInSeconds = policy.TerminationWaitInSeconds,
                    MaximumExecutionTimeoutInSeconds = policy.MaximumExecutionTimeoutInSeconds,
                },
                AutoRollbackConfiguration = policy.RollbackAlarms is { Count: > 0 } alarms ? new AutoRollbackConfig { Alarms = alarms.Select(name => new Alarm { AlarmName = name }).ToList() } : null,
            };

    private static async Task<object?> DescribeEndpointAsync(EndpointNameRequest request, SageMakerCall call)
    {
        var endpoint = await Serving(call, service => service.DescribeEndpointAsync(request.EndpointName!, call.Aborted));
        var traffic = call.Service<IEndpointInvoker>().Traffic(endpoint.Name);
        var config = await call.Service<IServingStore>().FindConfigAsync(endpoint.ConfigName, call.Aborted);
        var capture = config?.DataCapture;
        return new DescribeEndpointResponse
        {
            EndpointName = endpoint.Name,
            EndpointArn = call.Arn("endpoint", endpoint.Name),
            EndpointConfigName = endpoint.ConfigName,
            ProductionVariants = Summaries(endpoint.Variants, traffic, config, endpoint.Status == EndpointStatus.Creating ? "Creating" : null),
            ShadowProductionVariants = endpoint.ShadowVariants.Count == 0 ? null : Summaries(endpoint.ShadowVariants, null, config, null),
            DataCaptureConfig = capture is null ? null : new DataCaptureConfigSummary(capture.Enabled, capture.Enabled ? "Started" : "Stopped", capture.SamplingPercentage, capture.DestinationUri, ""),
            EndpointStatus = endpoint.Status.ToString(),
            FailureReason = endpoint.FailureReason,
            CreationTime = endpoint.CreationTime,
            LastModifiedTime = endpoint.LastModifiedTime,
            LastDeploymentConfig = ToShape(endpoint.LastDeployment),
            PendingDeploymentSummary = endpoint.PendingConfigName is { } pending
                ? new PendingDeploymentSummary
                {
                    EndpointConfigName = pending,
                    ProductionVariants = Summaries(endpoint.PendingVariants, null, null, endpoint.PendingTrafficShare > 0 ? "ActivatingTraffic" : "Creating")
                        .Select(v => v with { CurrentWeight = (v.DesiredWeight ?? 0) * endpoint.PendingTrafficShare }).ToList(),
                    ShadowProductionVariants = endpoint.PendingShadowVariants.Count == 0 ? null : Summaries(endpoint.PendingShadowVariants, null, null, null),
                    StartTime = endpoint.PendingStartTime,
                }
                : null,
        };
    }

    /// <summary>
    /// Variant summaries; a bandit-routed endpoint reports as CurrentWeight the share of recent traffic each
    /// variant actually got, so the learning is visible where SageMaker users look for weights.
    /// </summary>
    private static List<ProductionVariantSummary> Summaries(IReadOnlyList<VariantState> variants, EndpointTraffic? traffic, EndpointConfig? config, string? status) =>
        variants.Select(variant =>
        {
            var live = traffic?.Routing is not null and not "weighted" ? traffic.Variants.FirstOrDefault(v => v.VariantName == variant.VariantName && !v.Shadow) : null;
            return new ProductionVariantSummary
            {
                VariantName = variant.VariantName,
                CurrentWeight = live?.Weight ?? variant.CurrentWeight,
                DesiredWeight = variant.DesiredWeight,
                CurrentInstanceCount = variant.CurrentInstanceCount,
                DesiredInstanceCount = variant.DesiredInstanceCount,
                InstanceType = config?.Variants.Concat(config.ShadowVariants).FirstOrDefault(v => v.VariantName == variant.VariantName)?.InstanceType,
                VariantStatus = status is null ? null : [new ProductionVariantStatus(status, null, null)],
            };
        }).ToList();

    private static async Task<object?> ListEndpointsAsync(ListEndpointsRequest request, SageMakerCall call)
    {
        var page = await List(request, request.SortBy, call, (service, query) => service.ListEndpointsAsync(
            query with { Status = request.StatusEquals, ModifiedAfter = request.LastModifiedTimeAfter, ModifiedBefore = request.LastModifiedTimeBefore }, call.Aborted));
        return new ListEndpointsResponse(page.Items.Select(e => new EndpointSummary(e.Name, call.Arn("endpoint", e.Name), e.CreationTime, e.LastModifiedTime, e.Status.ToString())).ToList(), page.NextPageToken);
    }

    private static async Task<object?> UpdateEndpointAsync(UpdateEndpointRequest request, SageMakerCall call)
    {
        var policy = request.RetainDeploymentConfig == true && request.DeploymentConfig is null ? null : Policy(request.DeploymentConfig);
        await Serving(call, service => service.UpdateEndpointAsync(request.EndpointName!, request.EndpointConfigName!, policy, request.RetainAllVariantProperties ?? false, call.Aborted));
        return new EndpointArnResponse(call.Arn("endpoint", request.EndpointName!));
    }

    private static async Task<object?> UpdateWeightsAsync(UpdateEndpointWeightsAndCapacitiesRequest request, SageMakerCall call)
    {
        var desired = request.DesiredWeightsAndCapacities!.Select(d => (d.VariantName!, d.DesiredWeight, d.DesiredInstanceCount)).ToList();
        await Serving(call, service => service.UpdateWeightsAndCapacitiesAsync(request.EndpointName!, desired, call.Aborted));
        return new EndpointArnResponse(call.Arn("endpoint", request.EndpointName!));
    }

    private static async Task<object?> DeleteEndpointAsync(EndpointNameRequest request, SageMakerCall call)
    {
        await Serving(call, async service =>
        {
            await service.DeleteEndpointAsync(request.EndpointName!, call.Aborted);
            return true;
        });
        return null;
    }

    private static Task<Page<T>> List<T>(ServingListRequest request, string? sortBy, SageMakerCall call, Func<ServingService, ListQuery, Task<Page<T>>> list)
    {
        var query = new ListQuery(
            NameContains: request.NameContains,
            CreatedAfter: request.CreationTimeAfter,
            CreatedBefore: request.CreationTimeBefore,
            SortBy: sortBy switch { "Name" => ListSort.Name, "Status" => ListSort.Status, _ => ListSort.CreationTime },
            Ascending: request.SortOrder == "Ascending",
            MaxResults: request.MaxResults ?? 10,
            PageToken: request.NextToken);
        return Serving(call, service => list(service, query));
    }

    /// <summary>Calls the hosting service, answering its not-found and already-exists the way SageMaker does for hosting: ValidationException.</summary>
    private static async Task<T> Serving<T>(SageMakerCall call, Func<ServingService, Task<T>> action)
    {
        try
        {
            return await action(call.Service<ServingService>());
        }
        catch (KilnException e) when (e.Code is ErrorCode.ResourceDoesNotExist or ErrorCode.ResourceAlreadyExists or ErrorCode.InvalidParameterValue)
        {
            throw new SageMakerException("ValidationException", e.Message);
        }
    }
}
