using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// <see cref="IServingStore"/> keeps three resources; each has its contract here, and a binding derives from all three,
/// supplying only <see cref="CreateStore"/> (a fresh, empty store) in each.
/// </summary>
public abstract class HostedModelStoreContract : DeletableNamedResourceContract<HostedModel>
{
    private IServingStore? _store;

    protected abstract IServingStore CreateStore();

    protected IServingStore Store => _store ??= CreateStore();

    protected override Task<bool> AddAsync(HostedModel item) => Store.AddModelAsync(item);

    protected override Task<HostedModel?> FindAsync(string name) => Store.FindModelAsync(name);

    protected override Task<HostedModel?> UpdateAsync(string name, Func<HostedModel, HostedModel?> change) => Store.UpdateModelAsync(name, change);

    protected override Task<Page<HostedModel>> ListAsync(ListQuery query) => Store.ListModelsAsync(query);

    protected override Task<bool> DeleteAsync(string name) => Store.DeleteModelAsync(name);

    // SageMaker models have no status; the store lists them all as Created.
    protected override IReadOnlyList<string> Statuses => ["Created"];

    protected override string NameOf(HostedModel item) => item.Name;

    protected override HostedModel Mark(HostedModel item, string mark) => item with { Tags = [.. item.Tags, new Tag(mark, "")] };

    protected override IReadOnlyCollection<string> MarksOf(HostedModel item) => item.Tags.Select(tag => tag.Key).ToList();

    protected override HostedModel Sample(string name, DateTimeOffset created, string status) =>
        new(name, "kiln/sklearn:1", "s3://b/model.tar.gz", new Dictionary<string, string> { ["A"] = "1" }, "arn:aws:iam::1:role/r", created, [new Tag("team", "ml")])
        {
            ModelPackageArn = "arn:aws:sagemaker:us-east-1:1:model-package/churn/1",
        };
}

public abstract class EndpointConfigStoreContract : DeletableNamedResourceContract<EndpointConfig>
{
    private IServingStore? _store;

    protected abstract IServingStore CreateStore();

    protected IServingStore Store => _store ??= CreateStore();

    protected override Task<bool> AddAsync(EndpointConfig item) => Store.AddConfigAsync(item);

    protected override Task<EndpointConfig?> FindAsync(string name) => Store.FindConfigAsync(name);

    protected override Task<EndpointConfig?> UpdateAsync(string name, Func<EndpointConfig, EndpointConfig?> change) => Store.UpdateConfigAsync(name, change);

    protected override Task<Page<EndpointConfig>> ListAsync(ListQuery query) => Store.ListConfigsAsync(query);

    protected override Task<bool> DeleteAsync(string name) => Store.DeleteConfigAsync(name);

    protected override IReadOnlyList<string> Statuses => ["Created"];

    protected override string NameOf(EndpointConfig item) => item.Name;

    protected override EndpointConfig Mark(EndpointConfig item, string mark) => item with { Tags = [.. item.Tags, new Tag(mark, "")] };

    protected override IReadOnlyCollection<string> MarksOf(EndpointConfig item) => item.Tags.Select(tag => tag.Key).ToList();

    protected override EndpointConfig Sample(string name, DateTimeOffset created, string status) => new(
        name,
        [new VariantSpec("a", "model-a", 2, 0.75, "ml.m5.large"), new VariantSpec("b", "model-b", 1, 0.25, null)],
        [new VariantSpec("shadow", "model-c", 1, 1, "ml.c5.large")],
        new DataCaptureSpec(true, 50, "s3://b/capture", true, false, ["text/csv"], ["application/json"]),
        RoutingStrategy.ThompsonSampling,
        created,
        [new Tag("team", "ml")]);
}

public abstract class EndpointStoreContract : DeletableNamedResourceContract<Endpoint>
{
    private IServingStore? _store;

    protected abstract IServingStore CreateStore();

    protected IServingStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task All_endpoints_lists_every_endpoint()
    {
        foreach (var name in new[] { "e1", "e2", "e3" })
        {
            await Store.AddEndpointAsync(Sample(name, Epoch, nameof(EndpointStatus.InService)));
        }

        Assert.Equal(["e1", "e2", "e3"], (await Store.AllEndpointsAsync()).Select(endpoint => endpoint.Name).Order(StringComparer.Ordinal));
    }

    [StoreFact]
    public async Task Bandit_state_is_saved_replaced_and_deleted_with_its_endpoint()
    {
        await Store.AddEndpointAsync(Sample("e", Epoch, nameof(EndpointStatus.InService)));
        Assert.Null(await Store.LoadBanditStateAsync("e"));

        await Store.SaveBanditStateAsync("e", "{\"a\":1}");
        await Store.SaveBanditStateAsync("e", "{\"a\":2}");
        Assert.Equal("{\"a\":2}", await Store.LoadBanditStateAsync("e"));

        Assert.True(await Store.DeleteEndpointAsync("e"));
        Assert.Null(await Store.LoadBanditStateAsync("e"));
        await Store.AddEndpointAsync(Sample("e", Epoch, nameof(EndpointStatus.Creating)));
        Assert.Null(await Store.LoadBanditStateAsync("e"));
    }

    [StoreFact]
    public async Task Bandit_state_of_a_missing_endpoint_is_not_kept()
    {
        await Store.SaveBanditStateAsync("ghost", "{}");

        Assert.Null(await Store.LoadBanditStateAsync("ghost"));
    }

    [StoreFact]
    public async Task Bandit_weights_are_listed_oldest_first_bounded_per_endpoint_and_deleted_with_it()
    {
        await Store.AddEndpointAsync(Sample("e", Epoch, nameof(EndpointStatus.InService)));
        await Store.AddEndpointAsync(Sample("f", Epoch, nameof(EndpointStatus.InService)));
        Assert.Empty(await Store.ListBanditWeightsAsync("e"));

        for (var second = 0; second < 5; second++)
        {
            await Store.AddBanditWeightsAsync("e", Reading(second, second / 10.0), keep: 3);
        }

        await Store.AddBanditWeightsAsync("f", Reading(9, 0.9), keep: 3);

        var kept = await Store.ListBanditWeightsAsync("e");
        Assert.Equal([Epoch.AddSeconds(2), Epoch.AddSeconds(3), Epoch.AddSeconds(4)], kept.Select(reading => reading.Time));
        Assert.Equal([new VariantWeight("blue", 0.4), new VariantWeight("green", 0.6)], kept[^1].Variants);
        Assert.Equal(0.9, Assert.Single(await Store.ListBanditWeightsAsync("f")).Variants[0].Weight);

        Assert.True(await Store.DeleteEndpointAsync("e"));
        await Store.AddEndpointAsync(Sample("e", Epoch, nameof(EndpointStatus.Creating)));
        Assert.Empty(await Store.ListBanditWeightsAsync("e"));
        Assert.Single(await Store.ListBanditWeightsAsync("f"));
    }

    [StoreFact]
    public async Task Bandit_weights_of_a_missing_endpoint_are_not_kept()
    {
        await Store.AddBanditWeightsAsync("ghost", Reading(0, 0.5), keep: 10);

        Assert.Empty(await Store.ListBanditWeightsAsync("ghost"));
    }

    private static BanditWeights Reading(int second, double blue) =>
        new(Epoch.AddSeconds(second), [new VariantWeight("blue", blue), new VariantWeight("green", 1 - blue)]);

    protected override Task<bool> AddAsync(Endpoint item) => Store.AddEndpointAsync(item);

    protected override Task<Endpoint?> FindAsync(string name) => Store.FindEndpointAsync(name);

    protected override Task<Endpoint?> UpdateAsync(string name, Func<Endpoint, Endpoint?> change) => Store.UpdateEndpointAsync(name, change);

    protected override Task<Page<Endpoint>> ListAsync(ListQuery query) => Store.ListEndpointsAsync(query);

    protected override Task<bool> DeleteAsync(string name) => Store.DeleteEndpointAsync(name);

    protected override IReadOnlyList<string> Statuses => [nameof(EndpointStatus.Creating), nameof(EndpointStatus.InService), nameof(EndpointStatus.Failed)];

    protected override string NameOf(Endpoint item) => item.Name;

    protected override Endpoint Mark(Endpoint item, string mark) => item with { Tags = [.. item.Tags, new Tag(mark, "")] };

    protected override IReadOnlyCollection<string> MarksOf(Endpoint item) => item.Tags.Select(tag => tag.Key).ToList();

    protected override Endpoint Sample(string name, DateTimeOffset created, string status) => new()
    {
        Name = name,
        ConfigName = name + "-config",
        Status = Enum.Parse<EndpointStatus>(status),
        Operation = EndpointOperation.UpdateConfig,
        FailureReason = "reason",
        CreationTime = created,
        LastModifiedTime = created,
        Variants = [new VariantState("a", "model-a", 0.5, 0.75, 1, 2)],
        ShadowVariants = [new VariantState("s", "model-s", 1, 1, 1, 1)],
        PendingConfigName = name + "-next",
        PendingVariants = [new VariantState("b", "model-b", 0, 1, 0, 3)],
        PendingShadowVariants = [new VariantState("t", "model-t", 0, 1, 0, 1)],
        PendingTrafficShare = 0.1,
        PendingStartTime = created.AddSeconds(3),
        LastDeployment = new BlueGreenPolicy(BlueGreenPolicy.Canary, 30, new CapacitySize(CapacitySize.CapacityPercent, 10), null, 60, 600, ["alarm"]),
        Tags = [new Tag("team", "ml")],
    };
}
