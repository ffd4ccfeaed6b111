using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Kiln.Core.Serving;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>
/// The endpoint pages on a real endpoint (two production variants, a shadow, data capture): the numbers shown are the
/// serving runtime's, they follow invocations live, captured records can be browsed, and the weights form changes what
/// DescribeEndpoint reports.
/// </summary>
[Collection(StudioCollection.Name)]
public sealed class EndpointsPagesTests(StudioFixture studio)
{
    [Fact]
    public async Task Endpoint_page_shows_each_variants_traffic_as_the_runtime_counts_it_and_follows_invocations_live()
    {
        var data = await EndpointData.SeedAsync(studio);
        var invoker = studio.Services.GetRequiredService<IEndpointInvoker>();
        static long Count(EndpointTraffic traffic, string variant, bool errors = false)
        {
            var counts = traffic.Variants.Single(v => v.VariantName == variant);
            return errors ? counts.Errors : counts.Invocations;
        }

        var before = invoker.Traffic(data.Endpoint)!;
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await studio.InvokeAsync(data.Endpoint, data.Row, "blue"));
        }

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await studio.InvokeAsync(data.Endpoint, data.Row, "green"));
        }

        Assert.NotEqual(HttpStatusCode.OK, await studio.InvokeAsync(data.Endpoint, "not,a,row", "green"));

        var page = await studio.NewPageAsync();
        await page.GotoAsync("/endpoints");
        await page.GetByRole(AriaRole.Link, new() { Name = data.Endpoint }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(data.Endpoint);

        var traffic = invoker.Traffic(data.Endpoint)!;
        foreach (var variant in traffic.Variants.Where(v => !v.Shadow))
        {
            var row = page.Locator($"tr[data-variant={variant.VariantName}]");
            await Assertions.Expect(row.Locator("[data-col=invocations]")).ToHaveTextAsync(variant.Invocations.ToString(CultureInfo.InvariantCulture));
            await Assertions.Expect(row.Locator("[data-col=errors]")).ToHaveTextAsync(variant.Errors.ToString(CultureInfo.InvariantCulture));
            await Assertions.Expect(row.Locator("[data-col=p50]")).ToHaveTextAsync($"{variant.LatencyP50Ms:0.##} ms");
            await Assertions.Expect(row.Locator("[data-col=p99]")).ToHaveTextAsync($"{variant.LatencyP99Ms:0.##} ms");
            await Assertions.Expect(row.Locator("[data-col=instances]")).ToHaveTextAsync(variant.Replicas.ToString(CultureInfo.InvariantCulture));
        }

        Assert.Equal(7, Count(traffic, "blue") - Count(before, "blue"));
        Assert.Equal(5, Count(traffic, "green") - Count(before, "green"));
        Assert.Equal(1, Count(traffic, "green", errors: true) - Count(before, "green", errors: true));
        await Assertions.Expect(page.Locator("tr[data-variant=shadow]")).ToContainTextAsync("shadow");
        await Assertions.Expect(page.Locator("tr[data-variant=shadow] [data-col=agreement]")).ToContainTextAsync("%");
        await StudioFixture.CheckPageAsync(page, "endpoint");

        // Live: invocations sent through the runtime API show up without a reload, with a rate per second.
        await Assertions.Expect(page.Locator("#endpoint-live[data-live-connected=true]")).ToHaveCountAsync(1);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await studio.InvokeAsync(data.Endpoint, data.Row, "blue"));
        }

        await Assertions.Expect(page.Locator("tr[data-variant=blue] [data-col=invocations]")).ToHaveTextAsync((Count(traffic, "blue") + 5).ToString(CultureInfo.InvariantCulture), new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("tr[data-variant=blue] [data-col=rate]")).Not.ToHaveTextAsync("–");
    }

    [Fact]
    public async Task Data_capture_browser_lists_files_by_hour_and_shows_the_captured_records()
    {
        var data = await EndpointData.SeedAsync(studio);
        Assert.Equal(HttpStatusCode.OK, await studio.InvokeAsync(data.Endpoint, data.Row, "blue"));
        var page = await studio.NewPageAsync();

        // The capture writer stores what it gathered every couple of seconds.
        var files = page.Locator("nav[aria-label='Captured files by hour'] a");
        for (var attempt = 0; attempt < 30 && await files.CountAsync() == 0; attempt++)
        {
            await page.GotoAsync($"/endpoints/{data.Endpoint}");
            await Task.Delay(500);
        }

        await Assertions.Expect(page.Locator("h3.hour").First).ToContainTextAsync(" UTC");
        await files.First.ClickAsync();
        var records = page.Locator("table.records tbody tr");
        await Assertions.Expect(records.First).ToContainTextAsync(data.Row[..20]);
        Assert.True(await records.CountAsync() >= 1);
        await StudioFixture.CheckPageAsync(page, "endpoint-capture");
    }

    [Fact]
    public async Task Changing_weights_in_the_form_updates_what_DescribeEndpoint_reports()
    {
        var data = await EndpointData.SeedAsync(studio);
        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/endpoints/{data.Endpoint}");

        await page.GetByLabel("Weight of blue").FillAsync("3");
        await page.GetByLabel("Weight of green").FillAsync("1");
        await page.GetByLabel("Instances of green").FillAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Update weights" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("submitted");

        var described = await studio.WaitAsync("DescribeEndpoint", new { EndpointName = data.Endpoint }, "EndpointStatus", "Updating");
        Assert.Equal("InService", described["EndpointStatus"]!.GetValue<string>());
        var variants = described["ProductionVariants"]!.AsArray()
            .ToDictionary(v => v!["VariantName"]!.GetValue<string>(), v => (Weight: v!["CurrentWeight"]!.GetValue<double>(), Count: v!["CurrentInstanceCount"]!.GetValue<int>()));
        Assert.Equal((3.0, 1), variants["blue"]);
        Assert.Equal((1.0, 1), variants["green"]);

        await page.GotoAsync($"/endpoints/{data.Endpoint}");
        await Assertions.Expect(page.Locator("tr[data-variant=blue] [data-col=weight]")).ToHaveTextAsync("3");
        await Assertions.Expect(page.Locator("tr[data-variant=green] [data-col=instances]")).ToHaveTextAsync("1");

        // A refused change comes back as the service's message on the page.
        await page.GetByLabel("Instances of blue").FillAsync("99");
        await page.EvalOnSelectorAsync("form.weights input[name='instances:blue']", "e => e.removeAttribute('max')");
        await page.GetByRole(AriaRole.Button, new() { Name = "Update weights" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("limit per variant");
    }

    [Fact]
    public async Task A_bandit_endpoint_page_charts_the_weight_history_the_runtime_stored_before_any_page_was_open()
    {
        var data = await EndpointData.SeedAsync(studio);
        var endpoint = "studio-bandit-" + Guid.NewGuid().ToString("N")[..6];
        await studio.CallAsync("CreateEndpointConfig", new
        {
            EndpointConfigName = endpoint + "-config",
            ProductionVariants = new[] { "good", "bad" }.Select(name => new { VariantName = name, ModelName = data.Model, InitialInstanceCount = 1, InstanceType = "ml.m5.large", InitialVariantWeight = 1.0 }),
            Tags = new[] { new { Key = "kiln:routing", Value = "thompson-sampling" } },
        });
        await studio.CallAsync("CreateEndpoint", new { EndpointName = endpoint, EndpointConfigName = endpoint + "-config" });
        var created = await studio.WaitAsync("DescribeEndpoint", new { EndpointName = endpoint }, "EndpointStatus", "Creating");
        Assert.True(created["EndpointStatus"]!.GetValue<string>() == "InService", created.ToJsonString());

        // Two rounds of learning, a save period apart, with no Studio page open: each adds a stored reading.
        var serving = studio.Services.GetRequiredService<ServingService>();
        await LearnAsync(endpoint, data.Row);
        await WaitForReadingsAsync(serving, endpoint, 1);
        await LearnAsync(endpoint, data.Row);
        await WaitForReadingsAsync(serving, endpoint, 2);
        var stored = await SettledReadingsAsync(serving, endpoint);

        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/endpoints/{endpoint}");
        var section = page.Locator("section[aria-labelledby=bandit-heading]");
        await Assertions.Expect(section).ToContainTextAsync($"({stored.Count} readings)");
        var chart = section.Locator("[data-chart-ready=true]");
        await Assertions.Expect(chart).ToHaveCountAsync(1);
        var series = JsonNode.Parse((await chart.GetAttributeAsync("data-chart"))!)!["series"]!.AsArray();
        Assert.Equal(["good", "bad"], series.Select(s => s!["name"]!.GetValue<string>()));
        foreach (var line in series)
        {
            var variant = line!["name"]!.GetValue<string>();
            var expected = stored.Select(reading => (reading.Time.ToUnixTimeMilliseconds(), reading.Variants.Single(v => v.VariantName == variant).Weight));
            var drawn = line["data"]!.AsArray().Select(point => (point![0]!.GetValue<long>(), point[1]!.GetValue<double>()));
            Assert.Equal(expected, drawn);
        }

        await StudioFixture.CheckPageAsync(page, "bandit-endpoint");

        // Learning while the page is open adds a reading, and the live region shows it.
        await Assertions.Expect(page.Locator("#endpoint-live[data-live-connected=true]")).ToHaveCountAsync(1);
        await LearnAsync(endpoint, data.Row);
        await WaitForReadingsAsync(serving, endpoint, stored.Count + 1);
        await Assertions.Expect(section).Not.ToContainTextAsync($"({stored.Count} readings)", new() { Timeout = 15_000 });
        await Assertions.Expect(chart).ToHaveCountAsync(1);
        var redrawn = JsonNode.Parse((await chart.GetAttributeAsync("data-chart"))!)!["series"]![0]!["data"]!.AsArray();
        Assert.True(redrawn.Count > stored.Count, $"{redrawn.Count} points after learning more, {stored.Count} before");
    }

    /// <summary>The stored readings once no save is pending (the count held still for longer than the runtime's save period).</summary>
    private static async Task<IReadOnlyList<BanditWeights>> SettledReadingsAsync(ServingService serving, string endpoint)
    {
        var readings = await serving.BanditWeightHistoryAsync(endpoint);
        while (true)
        {
            await Task.Delay(1500);
            var again = await serving.BanditWeightHistoryAsync(endpoint);
            if (again.Count == readings.Count)
            {
                return again;
            }

            readings = again;
        }
    }

    /// <summary>Ten invocations, each rewarded: 1 when the bandit chose "good", 0 when it chose "bad".</summary>
    private async Task LearnAsync(string endpoint, string row)
    {
        var rewards = new List<object>();
        for (var i = 0; i < 10; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"endpoints/{endpoint}/invocations") { Content = new StringContent(row, Encoding.UTF8, "text/csv") };
            using var response = await studio.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var variant = response.Headers.GetValues("X-Amzn-Invoked-Production-Variant").Single();
            rewards.Add(new { inference_id = response.Headers.GetValues("X-Amzn-SageMaker-Inference-Id").Single(), reward = variant == "good" ? 1 : 0 });
        }

        using var feedback = await studio.Http.PostAsJsonAsync($"api/kiln/endpoints/{endpoint}/feedback", new { rewards });
        Assert.True(feedback.IsSuccessStatusCode, await feedback.Content.ReadAsStringAsync());
    }

    private static async Task<IReadOnlyList<BanditWeights>> WaitForReadingsAsync(ServingService serving, string endpoint, int count)
    {
        var deadline = Environment.TickCount64 + 15_000;
        while (true)
        {
            var readings = await serving.BanditWeightHistoryAsync(endpoint);
            if (readings.Count >= count || Environment.TickCount64 > deadline)
            {
                Assert.True(readings.Count >= count, $"{readings.Count} stored readings, expected {count}");
                return readings;
            }

            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Unknown_endpoint_answers_404_with_a_way_back()
    {
        var page = await studio.NewPageAsync();
        var response = await page.GotoAsync("/endpoints/no-such-endpoint");
        Assert.Equal(404, response!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Back to Endpoints" })).ToBeVisibleAsync();
    }
}
