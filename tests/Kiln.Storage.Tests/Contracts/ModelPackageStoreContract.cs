using System.Text.Json;
using Kiln.Core.Registry;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// What every <see cref="IModelPackageStore"/> promises: SageMaker details beside a registry version, saved whole,
/// changed atomically. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.
/// </summary>
public abstract class ModelPackageStoreContract
{
    private IModelPackageStore? _store;

    protected abstract IModelPackageStore CreateStore();

    protected IModelPackageStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task Details_round_trip_every_field()
    {
        var details = FullDetails();

        await Store.SaveAsync("churn", 3, details);

        AssertSame(details, await Store.FindAsync("churn", 3));
        Assert.Null(await Store.FindAsync("churn", 2));
        Assert.Null(await Store.FindAsync("other", 3));
    }

    [StoreFact]
    public async Task Saving_again_replaces_the_details()
    {
        await Store.SaveAsync("m", 1, FullDetails());
        var replacement = new ModelPackageDetails { ApprovalStatus = ApprovalStatuses.Rejected, Domain = "NLP" };

        await Store.SaveAsync("m", 1, replacement);

        AssertSame(replacement, await Store.FindAsync("m", 1));
    }

    [StoreFact]
    public async Task Versions_and_groups_are_kept_apart()
    {
        await Store.SaveAsync("m", 1, new ModelPackageDetails { Domain = "one" });
        await Store.SaveAsync("m", 11, new ModelPackageDetails { Domain = "eleven" });
        await Store.SaveAsync("m1", 1, new ModelPackageDetails { Domain = "other group" });

        Assert.Equal("one", (await Store.FindAsync("m", 1))!.Domain);
        Assert.Equal("eleven", (await Store.FindAsync("m", 11))!.Domain);
        Assert.Equal("other group", (await Store.FindAsync("m1", 1))!.Domain);
    }

    [StoreFact]
    public async Task Update_applies_the_change_and_returns_the_result()
    {
        await Store.SaveAsync("m", 1, new ModelPackageDetails());

        var updated = await Store.UpdateAsync("m", 1, current => current with { ApprovalStatus = ApprovalStatuses.Approved, LastModifiedBy = "ann" });

        Assert.Equal(ApprovalStatuses.Approved, updated!.ApprovalStatus);
        AssertSame(updated, await Store.FindAsync("m", 1));
    }

    [StoreFact]
    public async Task Update_of_a_missing_package_or_a_declined_change_writes_nothing()
    {
        var called = false;
        Assert.Null(await Store.UpdateAsync("ghost", 1, current =>
        {
            called = true;
            return current;
        }));
        Assert.False(called);
        Assert.Null(await Store.FindAsync("ghost", 1));

        await Store.SaveAsync("m", 1, new ModelPackageDetails { Domain = "kept" });
        Assert.Null(await Store.UpdateAsync("m", 1, _ => null));
        Assert.Equal("kept", (await Store.FindAsync("m", 1))!.Domain);
    }

    [StoreFact]
    public async Task Parallel_updates_lose_no_change()
    {
        await Store.SaveAsync("m", 1, new ModelPackageDetails());

        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await Store.UpdateAsync("m", 1, current => current with
                {
                    Approvals = [.. current.Approvals, new ApprovalEvent(ApprovalStatuses.Approved, $"{writer}-{i}", "bot", DateTimeOffset.UnixEpoch)],
                });
            }
        })));

        var approvals = (await Store.FindAsync("m", 1))!.Approvals;
        Assert.Equal(40, approvals.Select(approval => approval.Description).Distinct().Count());
    }

    [StoreFact]
    public async Task Deleting_removes_only_that_version_and_tolerates_a_missing_one()
    {
        await Store.SaveAsync("m", 1, new ModelPackageDetails());
        await Store.SaveAsync("m", 2, new ModelPackageDetails());

        await Store.DeleteAsync("m", 1);
        await Store.DeleteAsync("m", 1);
        await Store.DeleteAsync("ghost", 9);

        Assert.Null(await Store.FindAsync("m", 1));
        Assert.NotNull(await Store.FindAsync("m", 2));
    }

    private static ModelPackageDetails FullDetails()
    {
        var at = new DateTimeOffset(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);
        return new ModelPackageDetails
        {
            Containers =
            [
                new PackageContainer("kiln/xgboost:1", "s3://b/model.tar.gz", new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" }, "xgboost"),
                new PackageContainer(null, null, new Dictionary<string, string>()),
            ],
            SupportedContentTypes = ["text/csv", "application/json"],
            SupportedResponseMIMETypes = ["text/csv"],
            SupportedRealtimeInferenceInstanceTypes = ["ml.m5.large"],
            SupportedTransformInstanceTypes = ["ml.m5.xlarge", "ml.c5.large"],
            ApprovalStatus = ApprovalStatuses.Approved,
            ApprovalDescription = "looks good",
            CustomerMetadata = new Dictionary<string, string> { ["owner"] = "ann" },
            ModelMetricsJson = "{\"ModelQuality\":{}}",
            ModelCardJson = "{\"ModelCardStatus\":\"Draft\"}",
            MetadataPropertiesJson = "{\"CommitId\":\"abc\"}",
            DriftCheckBaselinesJson = "{\"Bias\":{}}",
            Domain = "MACHINE_LEARNING",
            Task = "CLASSIFICATION",
            SamplePayloadUrl = "s3://b/sample.csv",
            SourceUri = "s3://b/source",
            CreatedBy = "ann",
            LastModifiedBy = "bob",
            LastModifiedTime = at,
            Approvals = [new ApprovalEvent(ApprovalStatuses.Approved, "ok", "bob", at)],
            Deployments = [new ApprovalDeployment("endpoint", "churn-prod", true, "deployed", "bob", at.AddSeconds(1))],
        };
    }

    // Collections inside the record compare by reference, so compare the full serialized shape instead.
    private static void AssertSame(ModelPackageDetails expected, ModelPackageDetails? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));
    }
}
