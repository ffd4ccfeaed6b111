using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Core.Objects;
using Kiln.Studio.Data;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>
/// The feature store pages on a group created with SageMaker's CreateFeatureGroup and filled with PutRecord and
/// DeleteRecord over HTTP (sagemaker-featurestore-runtime): the list shows the group, its page the features with their
/// metadata, statistics computed from the records put, and the online store's freshness.
/// </summary>
[Collection(StudioCollection.Name)]
public sealed class FeatureStorePagesTests(StudioFixture studio)
{
    private const string Bucket = "studio-features";

    [Fact]
    public async Task Feature_group_pages_show_the_features_statistics_and_freshness_of_the_records_put()
    {
        var name = "studio-fg-" + Guid.NewGuid().ToString("N")[..6];
        await studio.Services.GetRequiredService<ObjectStore>().EnsureBucketAsync(Bucket);
        await studio.CallAsync("CreateFeatureGroup", new
        {
            FeatureGroupName = name,
            RecordIdentifierFeatureName = "customer_id",
            EventTimeFeatureName = "event_time",
            FeatureDefinitions = new[]
            {
                new { FeatureName = "customer_id", FeatureType = "String" },
                new { FeatureName = "event_time", FeatureType = "Fractional" },
                new { FeatureName = "amount", FeatureType = "Fractional" },
                new { FeatureName = "visits", FeatureType = "Integral" },
                new { FeatureName = "segment", FeatureType = "String" },
                new { FeatureName = "note", FeatureType = "String" },
            },
            OnlineStoreConfig = new { EnableOnlineStore = true, TtlDuration = new { Unit = "Days", Value = 30 } },
            OfflineStoreConfig = new { S3StorageConfig = new { S3Uri = $"s3://{Bucket}/offline" } },
            RoleArn = SageMakerCalls.Role,
            Description = "Customer orders for the Studio test",
        });
        var described = await studio.WaitAsync("DescribeFeatureGroup", new { FeatureGroupName = name }, "FeatureGroupStatus", "Creating");
        Assert.True(described["FeatureGroupStatus"]!.GetValue<string>() == "Created", described.ToJsonString());
        await studio.CallAsync("UpdateFeatureMetadata", new
        {
            FeatureGroupName = name,
            FeatureName = "amount",
            Description = "Order amount in EUR",
            ParameterAdditions = new[] { new { Key = "unit", Value = "EUR" } },
        });

        // Four live records (one without a note), one soft-deleted, one whose event time is past the group's 30-day TTL.
        var start = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600;
        var rows = new (string Id, long Time, double Amount, long Visits, string Segment, string? Note)[]
        {
            ("c1", start, 10.5, 3, "gold", "first"),
            ("c2", start + 60, 20.25, 5, "silver", null),
            ("c3", start + 120, 30, 7, "gold", "third"),
            ("c4", start + 180, 41.75, 1, "gold", null),
            ("c5", start + 30, 99, 9, "bronze", null),
            ("c6", start - (60 * 86400), 1000, 100, "old", null),
        };
        foreach (var row in rows)
        {
            await PutRecordAsync(name, row.Id, row.Time, row.Amount, row.Visits, row.Segment, row.Note);
        }

        using (var deleted = await studio.Http.DeleteAsync($"FeatureGroup/{name}?RecordIdentifierValueAsString=c5&EventTime={start + 40}"))
        {
            Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());
        }

        var live = rows[..4];
        var newest = Format.Time(DateTimeOffset.FromUnixTimeSeconds(start + 180));

        var page = await studio.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Feature Store", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Feature Store");
        var listed = page.Locator($"tr[data-group='{name}']");
        await Assertions.Expect(listed.Locator("[data-col=features]")).ToHaveTextAsync("6");
        await Assertions.Expect(listed.Locator("[data-col=records]")).ToHaveTextAsync("4");
        await Assertions.Expect(listed.Locator("[data-col=online]")).ToHaveTextAsync("Yes");
        await Assertions.Expect(listed.Locator("[data-col=offline]")).ToHaveTextAsync("Yes");
        await Assertions.Expect(listed.Locator("[data-col=latest]")).ToContainTextAsync(newest);
        await Assertions.Expect(listed).ToContainTextAsync("customer_id");
        await Assertions.Expect(listed).ToContainTextAsync("Created");
        await StudioFixture.CheckPageAsync(page, "feature-groups");

        await listed.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(name);
        await Assertions.Expect(page.Locator("[data-fact=record-identifier]")).ToHaveTextAsync("customer_id");
        await Assertions.Expect(page.Locator("[data-fact=event-time-feature]")).ToHaveTextAsync("event_time");
        await Assertions.Expect(page.Locator("[data-fact=online]")).ToContainTextAsync("expire 30 days after");
        var table = described["OfflineStoreConfig"]!["DataCatalogConfig"]!["TableName"]!.GetValue<string>();
        await Assertions.Expect(page.Locator("[data-fact=table]")).ToContainTextAsync(table);
        await Assertions.Expect(page.Locator("[data-fact=offline]")).ToContainTextAsync($"s3://{Bucket}/offline");

        // Features, in definition order, with the metadata UpdateFeatureMetadata set.
        await Assertions.Expect(page.Locator("table.features tbody tr")).ToHaveCountAsync(6);
        await Assertions.Expect(page.Locator("table.features tbody tr").First).ToHaveAttributeAsync("data-feature", "customer_id");
        await Assertions.Expect(page.Locator("table.features tr[data-feature=amount] [data-col=type]")).ToHaveTextAsync("Fractional");
        await Assertions.Expect(page.Locator("table.features tr[data-feature=amount] [data-col=description]")).ToHaveTextAsync("Order amount in EUR");
        await Assertions.Expect(page.Locator("table.features tr[data-feature=amount] [data-col=parameters]")).ToHaveTextAsync("unit=EUR");

        // Statistics over the live records only (the deleted and the expired ones are not in them).
        static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
        var amount = page.Locator("table.statistics tr[data-feature=amount]");
        await Assertions.Expect(amount.Locator("[data-col=count]")).ToHaveTextAsync("4");
        await Assertions.Expect(amount.Locator("[data-col=missing]")).ToHaveTextAsync("0");
        await Assertions.Expect(amount.Locator("[data-col=min]")).ToHaveTextAsync(Number(live.Min(r => r.Amount)));
        await Assertions.Expect(amount.Locator("[data-col=mean]")).ToHaveTextAsync(Number(live.Average(r => r.Amount)));
        await Assertions.Expect(amount.Locator("[data-col=max]")).ToHaveTextAsync(Number(live.Max(r => r.Amount)));
        var visits = page.Locator("table.statistics tr[data-feature=visits]");
        await Assertions.Expect(visits.Locator("[data-col=mean]")).ToHaveTextAsync(Number(live.Average(r => r.Visits)));
        await Assertions.Expect(visits.Locator("[data-col=min]")).ToHaveTextAsync("1");
        await Assertions.Expect(visits.Locator("[data-col=max]")).ToHaveTextAsync("7");
        var segment = page.Locator("table.statistics tr[data-feature=segment]");
        await Assertions.Expect(segment.Locator("[data-col=distinct]")).ToHaveTextAsync("2");
        await Assertions.Expect(segment.Locator("[data-col=top]")).ToHaveTextAsync("gold (3), silver (1)");
        await Assertions.Expect(segment.Locator("[data-col=mean]")).ToHaveTextAsync("–");
        var note = page.Locator("table.statistics tr[data-feature=note]");
        await Assertions.Expect(note.Locator("[data-col=count]")).ToHaveTextAsync("2");
        await Assertions.Expect(note.Locator("[data-col=missing]")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("[data-fact=sample]")).ToContainTextAsync("4 latest live record(s)");

        // Freshness: the latest and oldest live event times, the latest's age, soft-deleted and expired records.
        await Assertions.Expect(page.Locator("[data-fact=live]")).ToHaveTextAsync("4");
        await Assertions.Expect(page.Locator("[data-fact=newest]")).ToHaveTextAsync(newest);
        await Assertions.Expect(page.Locator("[data-fact=oldest]")).ToHaveTextAsync(Format.Time(DateTimeOffset.FromUnixTimeSeconds(start)));
        await Assertions.Expect(page.Locator("[data-fact=age]")).ToContainTextAsync("min");
        await Assertions.Expect(page.Locator("[data-fact=age]")).ToContainTextAsync("ago");
        await Assertions.Expect(page.Locator("[data-fact=expired]")).ToContainTextAsync("1 (past their event time + 30 days");
        await Assertions.Expect(page.Locator("[data-fact=deleted]")).ToHaveTextAsync("1");
        var eventTime = page.Locator("table.statistics tr[data-feature=event_time]");
        await Assertions.Expect(eventTime.Locator("[data-col=max]")).ToHaveTextAsync(newest);
        await StudioFixture.CheckPageAsync(page, "feature-group");
    }

    [Fact]
    public async Task Unknown_feature_group_answers_404()
    {
        var page = await studio.NewPageAsync();
        Assert.Equal(404, (await page.GotoAsync("/feature-store/no-such-group"))!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Back to Feature Store" })).ToBeVisibleAsync();
    }

    private async Task PutRecordAsync(string group, string id, long time, double amount, long visits, string segment, string? note)
    {
        var record = new List<object>
        {
            new { FeatureName = "customer_id", ValueAsString = id },
            new { FeatureName = "event_time", ValueAsString = time.ToString(CultureInfo.InvariantCulture) },
            new { FeatureName = "amount", ValueAsString = amount.ToString(CultureInfo.InvariantCulture) },
            new { FeatureName = "visits", ValueAsString = visits.ToString(CultureInfo.InvariantCulture) },
            new { FeatureName = "segment", ValueAsString = segment },
        };
        if (note is not null)
        {
            record.Add(new { FeatureName = "note", ValueAsString = note });
        }

        // PascalCase members, as botocore sends them (PutAsJsonAsync would write camelCase).
        using var content = new StringContent(JsonSerializer.Serialize(new { Record = record }), Encoding.UTF8, "application/json");
        using var response = await studio.Http.PutAsync($"FeatureGroup/{group}", content);
        Assert.True(response.IsSuccessStatusCode, $"PutRecord {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
