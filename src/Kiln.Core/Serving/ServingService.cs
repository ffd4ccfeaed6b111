using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Jobs;

namespace Kiln.Core.Serving;

/// <summary>
/// The control plane of hosting: models, endpoint configs and endpoints. Requests are checked up front, as
/// SageMaker does; bringing an endpoint into service (loading its fleet, shifting traffic on update) runs on
/// the job engine as an "endpoint" job, so it survives a restart.
/// </summary>
public sealed class ServingService(IServingStore store, IJobScheduler scheduler, DataUris data, ServingChanges changes, TimeProvider clock, Lineage.ILineageRecorder? lineage = null, FileRoots? fileRoots = null)
{
    public const string EndpointJobKind = "endpoint";

    /// <summary>Replicas one variant may ask for on this installation (SageMaker's per-instance-type quota).</summary>
    public const int MaxInstancesPerVariant = 16;

    public async Task<HostedModel> CreateModelAsync(HostedModel model, CancellationToken ct = default)
    {
        if (await store.FindModelAsync(model.Name, ct).ConfigureAwait(false) is not null)
        {
            throw KilnException.AlreadyExists($"Cannot create already existing model \"{Arns.SageMaker(Arns.DefaultRegion, "model", model.Name)}\".");
        }

        if (model.ModelDataUrl is not { } url)
        {
            throw KilnException.InvalidParameter("The container needs a ModelDataUrl (a model.tar.gz or an .onnx file) for Kiln to serve.");
        }

        if (!url.StartsWith("s3://", StringComparison.Ordinal) && !url.StartsWith("file://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"ModelDataUrl '{url}' must be an s3:// or file:// URI.");
        }

        fileRoots?.Check(url, "ModelDataUrl");
        if (model.Environment.TryGetValue("SAGEMAKER_SUBMIT_DIRECTORY", out var submitDirectory))
        {
            fileRoots?.Check(submitDirectory, "Environment SAGEMAKER_SUBMIT_DIRECTORY");
        }

        if (!await data.ExistsAsync(url, ct).ConfigureAwait(false))
        {
            throw KilnException.InvalidParameter($"Could not find model data at {url}.");
        }

        var stored = model with { CreationTime = clock.GetUtcNow() };
        if (!await store.AddModelAsync(stored, ct).ConfigureAwait(false))
        {
            throw KilnException.AlreadyExists($"Cannot create already existing model \"{Arns.SageMaker(Arns.DefaultRegion, "model", model.Name)}\".");
        }

        return stored;
    }

    public async Task<HostedModel> DescribeModelAsync(string name, CancellationToken ct = default) =>
        await store.FindModelAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Could not find model \"{name}\".");

    public async Task DeleteModelAsync(string name, CancellationToken ct = default)
    {
        if (!await store.DeleteModelAsync(name, ct).ConfigureAwait(false))
        {
            throw KilnException.NotFound($"Could not find model \"{name}\".");
        }
    }

    public Task<Page<HostedModel>> ListModelsAsync(ListQuery query, CancellationToken ct = default) => store.ListModelsAsync(query, ct);

    public async Task<EndpointConfig> CreateConfigAsync(EndpointConfig config, CancellationToken ct = default)
    {
        if (await store.FindConfigAsync(config.Name, ct).ConfigureAwait(false) is not null)
        {
            throw KilnException.AlreadyExists($"Cannot create already existing endpoint configuration \"{Arns.SageMaker(Arns.DefaultRegion, "endpoint-config", config.Name)}\".");
        }

        var all = config.Variants.Concat(config.ShadowVariants).ToList();
        var duplicate = all.GroupBy(variant => variant.VariantName, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null)
        {
            throw KilnException.InvalidParameter($"Variant names must be unique within an endpoint configuration, but '{duplicate.Key}' appears {duplicate.Count()} times.");
        }

        foreach (var variant in all)
        {
            if (await store.FindModelAsync(variant.ModelName, ct).ConfigureAwait(false) is null)
            {
                throw KilnException.InvalidParameter($"Could not find model \"{variant.ModelName}\" (variant '{variant.VariantName}').");
            }

            if (variant.InitialInstanceCount > MaxInstancesPerVariant)
            {
                throw new KilnException(ErrorCode.ResourceLimitExceeded,
                    $"The variant '{variant.VariantName}' asks for {variant.InitialInstanceCount} instances; the limit per variant is {MaxInstancesPerVariant}.");
            }

            if (double.IsNaN(variant.InitialVariantWeight) || variant.InitialVariantWeight < 0)
            {
                throw KilnException.InvalidParameter($"The variant '{variant.VariantName}' has weight {variant.InitialVariantWeight}; weights must be 0 or more.");
            }
        }

        if (config.Variants.Count > 0 && config.Variants.All(variant => variant.InitialVariantWeight == 0) && config.Routing == RoutingStrategy.Weighted)
        {
            throw KilnException.InvalidParameter("At least one production variant needs a weight above 0.");
        }

        if (config.DataCapture is { } capture && !capture.DestinationUri.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"DataCaptureConfig.DestinationS3Uri '{capture.DestinationUri}' must be an s3:// URI.");
        }

        var stored = config with { CreationTime = clock.GetUtcNow() };
        if (!await store.AddConfigAsync(stored, ct).ConfigureAwait(false))
        {
            throw KilnException.AlreadyExists($"Cannot create already existing endpoint configuration \"{Arns.SageMaker(Arns.DefaultRegion, "endpoint-config", config.Name)}\".");
        }

        return stored;
    }

    public async Task<EndpointConfig> DescribeConfigAsync(string name, CancellationToken ct = default) =>
        await store.FindConfigAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Could not find endpoint configuration \"{name}\".");

    public async Task DeleteConfigAsync(string name, CancellationToken ct = default)
    {
        if (!await store.DeleteConfigAsync(name, ct).ConfigureAwait(false))
        {
            throw KilnException.NotFound($"Could not find endpoint configuration \"{name}\".");
        }
    }

    public Task<Page<EndpointConfig>> ListConfigsAsync(ListQuery query, CancellationToken ct = default) => store.ListConfigsAsync(query, ct);

    public async Task<Endpoint> CreateEndpointAsync(string name, string configName, BlueGreenPolicy? deployment, IReadOnlyList<Tracking.Tag> tags, CancellationToken ct = default)
    {
        if (await store.FindEndpointAsync(name, ct).ConfigureAwait(false) is not null)
        {
            throw KilnException.AlreadyExists($"Cannot create already existing endpoint \"{Arns.SageMaker(Arns.DefaultRegion, "endpoint", name)}\".");
        }

        var config = await DescribeConfigAsync(configName, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var endpoint = new Endpoint
        {
            Name = name,
            ConfigName = configName,
            Status = EndpointStatus.Creating,
            Operation = EndpointOperation.Create,
            CreationTime = now,
            LastModifiedTime = now,
            Variants = States(config.Variants),
            ShadowVariants = States(config.ShadowVariants),
            LastDeployment = deployment,
            Tags = tags,
        };
        if (!await store.AddEndpointAsync(endpoint, ct).ConfigureAwait(false))
        {
            throw KilnException.AlreadyExists($"Cannot create already existing endpoint \"{Arns.SageMaker(Arns.DefaultRegion, "endpoint", name)}\".");
        }

        await scheduler.StartAsync(EndpointJobKind, name, ct).ConfigureAwait(false);
        await RecordLineageAsync(name, config, ct).ConfigureAwait(false);
        return endpoint;
    }

    /// <summary>The endpoint's lineage: the model data of every variant it serves contributed to it.</summary>
    private async Task RecordLineageAsync(string endpoint, EndpointConfig config, CancellationToken ct)
    {
        if (lineage is null)
        {
            return;
        }

        var urls = new List<string>();
        foreach (var variant in config.Variants.Concat(config.ShadowVariants))
        {
            if (await store.FindModelAsync(variant.ModelName, ct).ConfigureAwait(false) is { ModelDataUrl: { } url })
            {
                urls.Add(url);
            }
        }

        await lineage.RecordEndpointAsync(endpoint, Arns.DefaultRegion, urls, null, ct).ConfigureAwait(false);
    }

    public async Task<Endpoint> DescribeEndpointAsync(string name, CancellationToken ct = default) =>
        await store.FindEndpointAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Could not find endpoint \"{name}\".");

    /// <summary>How a bandit-routed endpoint's weights moved while it learned (oldest first; empty for weighted routing).</summary>
    public Task<IReadOnlyList<BanditWeights>> BanditWeightHistoryAsync(string name, CancellationToken ct = default) => store.ListBanditWeightsAsync(name, ct);

    public Task<Page<Endpoint>> ListEndpointsAsync(ListQuery query, CancellationToken ct = default) => store.ListEndpointsAsync(query, ct);

    /// <summary>Deploys another config behind the endpoint: the new fleet comes up beside the old one and traffic moves by the policy.</summary>
    public async Task<Endpoint> UpdateEndpointAsync(string name, string configName, BlueGreenPolicy? deployment, bool retainVariantProperties, CancellationToken ct = default)
    {
        var config = await DescribeConfigAsync(configName, ct).ConfigureAwait(false);
        var updated = await ChangeServingEndpointAsync(name, current =>
        {
            var pending = States(config.Variants);
            if (retainVariantProperties)
            {
                pending = pending.Select(variant => current.Variants.FirstOrDefault(old => old.VariantName == variant.VariantName) is { } old
                    ? variant with { CurrentWeight = old.DesiredWeight, DesiredWeight = old.DesiredWeight, DesiredInstanceCount = old.DesiredInstanceCount }
                    : variant).ToList();
            }

            return current with
            {
                Status = EndpointStatus.Updating,
                Operation = EndpointOperation.UpdateConfig,
                PendingConfigName = configName,
                PendingVariants = pending,
                PendingShadowVariants = States(config.ShadowVariants),
                PendingTrafficShare = 0,
                PendingStartTime = clock.GetUtcNow(),
                LastDeployment = deployment ?? current.LastDeployment,
                FailureReason = null,
            };
        }, ct).ConfigureAwait(false);
        await scheduler.StartAsync(EndpointJobKind, name, ct).ConfigureAwait(false);
        await RecordLineageAsync(name, config, ct).ConfigureAwait(false);
        return updated;
    }

    /// <summary>Sets variants' weights and replica counts in place (no new fleet).</summary>
    public async Task<Endpoint> UpdateWeightsAndCapacitiesAsync(string name, IReadOnlyList<(string Variant, double? Weight, int? InstanceCount)> desired, CancellationToken ct = default)
    {
        var endpoint = await DescribeEndpointAsync(name, ct).ConfigureAwait(false);
        var unknown = desired.Select(change => change.Variant).Where(variant => endpoint.Variants.All(state => state.VariantName != variant)).ToList();
        if (unknown.Count > 0)
        {
            throw KilnException.InvalidParameter($"The variant(s) \"[{string.Join(", ", unknown)}]\" are not present in endpoint \"{name}\" (its variants: {string.Join(", ", endpoint.Variants.Select(v => v.VariantName))}).");
        }

        foreach (var (variant, weight, count) in desired)
        {
            if (weight is < 0 || (weight is { } w && double.IsNaN(w)))
            {
                throw KilnException.InvalidParameter($"The variant '{variant}' was given weight {weight}; weights must be 0 or more.");
            }

            if (count > MaxInstancesPerVariant)
            {
                throw new KilnException(ErrorCode.ResourceLimitExceeded, $"The variant '{variant}' asks for {count} instances; the limit per variant is {MaxInstancesPerVariant}.");
            }
        }

        var updated = await ChangeServingEndpointAsync(name, current => current with
        {
            Status = EndpointStatus.Updating,
            Operation = EndpointOperation.UpdateWeights,
            FailureReason = null,
            Variants = current.Variants.Select(state => desired.FirstOrDefault(change => change.Variant == state.VariantName) is { Variant: not null } change
                ? state with { DesiredWeight = change.Weight ?? state.DesiredWeight, DesiredInstanceCount = change.InstanceCount ?? state.DesiredInstanceCount }
                : state).ToList(),
        }, ct).ConfigureAwait(false);
        await scheduler.StartAsync(EndpointJobKind, name, ct).ConfigureAwait(false);
        return updated;
    }

    public async Task DeleteEndpointAsync(string name, CancellationToken ct = default)
    {
        if (!await store.DeleteEndpointAsync(name, ct).ConfigureAwait(false))
        {
            throw KilnException.NotFound($"Could not find endpoint \"{name}\".");
        }

        await scheduler.StopAsync(EndpointJobKind, name, ct).ConfigureAwait(false);
        changes.Publish(name);
    }

    private async Task<Endpoint> ChangeServingEndpointAsync(string name, Func<Endpoint, Endpoint> change, CancellationToken ct)
    {
        var refused = default(Endpoint);
        var updated = await store.UpdateEndpointAsync(name, current =>
        {
            if (current.Status != EndpointStatus.InService)
            {
                refused = current;
                return null;
            }

            return change(current) with { LastModifiedTime = clock.GetUtcNow() };
        }, ct).ConfigureAwait(false);
        if (refused is not null)
        {
            throw KilnException.InvalidParameter($"Cannot update in-progress endpoint \"{name}\": it is {refused.Status}; wait until it is InService.");
        }

        if (updated is null)
        {
            throw KilnException.NotFound($"Could not find endpoint \"{name}\".");
        }

        changes.Publish(name);
        return updated;
    }

    private static List<VariantState> States(IReadOnlyList<VariantSpec> variants) =>
        variants.Select(variant => new VariantState(variant.VariantName, variant.ModelName, variant.InitialVariantWeight, variant.InitialVariantWeight, 0, variant.InitialInstanceCount)).ToList();
}

/// <summary>
/// Tells this node's endpoint runtime that an endpoint's record changed, so it reloads it off the request
/// path instead of reading the store on every invocation.
/// </summary>
public sealed class ServingChanges
{
    private event Action<string>? Changed;

    public void Publish(string endpoint) => Changed?.Invoke(endpoint);

    public void Subscribe(Action<string> listener) => Changed += listener;
}
