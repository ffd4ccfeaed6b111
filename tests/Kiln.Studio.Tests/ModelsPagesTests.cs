using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>
/// The Models and Lineage areas on real data: registered models and versions made through the MLflow REST API, model
/// packages, lineage entities and associations through the SageMaker API; approval through the page's form.
/// </summary>
[Collection(StudioCollection.Name)]
public sealed class ModelsPagesTests(StudioFixture studio)
{
    [Fact]
    public async Task Models_list_and_model_page_show_versions_aliases_stages_tags_and_the_source_run()
    {
        var demo = await DemoData.SeedAsync(studio);
        var name = "churn-" + Guid.NewGuid().ToString("N")[..6];
        await studio.MlflowAsync("registered-models/create", new { name, description = "Churn classifier", tags = new[] { new { key = "team", value = "growth" } } });
        await studio.MlflowAsync("model-versions/create", new { name, source = $"runs:/{demo.RunIds[0]}/model", run_id = demo.RunIds[0] });
        await studio.MlflowAsync("model-versions/create", new { name, source = $"runs:/{demo.RunIds[1]}/model", run_id = demo.RunIds[1] });
        await studio.MlflowAsync("registered-models/alias", new { name, alias = "champion", version = "1" });
        await studio.MlflowAsync("model-versions/transition-stage", new { name, version = "2", stage = "Staging", archive_existing_versions = false });

        var page = await studio.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Models", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Models");
        var row = page.Locator("table.models tbody tr", new() { Has = page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }) });
        await Assertions.Expect(row).ToContainTextAsync("Version 2");
        await Assertions.Expect(row).ToContainTextAsync("@champion → v1");
        await StudioFixture.CheckPageAsync(page, "models");

        await row.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(name);
        var versions = page.Locator("table.versions tbody tr");
        await Assertions.Expect(versions).ToHaveCountAsync(2);
        await Assertions.Expect(versions.Nth(0)).ToContainTextAsync("Staging");
        await Assertions.Expect(versions.Nth(0)).ToContainTextAsync("PendingManualApproval");
        await Assertions.Expect(versions.Nth(1)).ToContainTextAsync("@champion");
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Model tags" })).ToContainTextAsync("growth");
        await StudioFixture.CheckPageAsync(page, "model");

        await versions.Nth(1).GetByRole(AriaRole.Link, new() { Name = demo.RunIds[0] }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("xgboost-run");
    }

    [Fact]
    public async Task Approving_a_pending_package_through_the_form_changes_its_status_and_records_the_comment()
    {
        var (group, _) = await CreatePendingPackageAsync();
        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/models/{group}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Version 1" }).ClickAsync();

        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync($"{group} version 1");
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("PendingManualApproval");
        await Assertions.Expect(page.GetByLabel("Model card content")).ToContainTextAsync("Predicts churn within 30 days");
        await Assertions.Expect(page.GetByLabel("Model metrics")).ToContainTextAsync("s3://studio-models/reports/quality.json");
        await StudioFixture.CheckPageAsync(page, "model-package-pending");

        await page.GetByLabel("Approve").CheckAsync();
        await page.GetByLabel("Comment").FillAsync("AUC 0.91 on the holdout; ship it");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record decision" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Recorded: Approved");
        var history = page.GetByRole(AriaRole.Table, new() { Name = "Approval history, oldest first" }).Locator("tbody tr");
        await Assertions.Expect(history).ToHaveCountAsync(2);
        await Assertions.Expect(history.Nth(1)).ToContainTextAsync("Approved");
        await Assertions.Expect(history.Nth(1)).ToContainTextAsync("AUC 0.91 on the holdout; ship it");
        await Assertions.Expect(history.Nth(1)).ToContainTextAsync(StudioApprovals.Approver);
        await StudioFixture.CheckPageAsync(page, "model-package-approved");

        var described = await SageMakerAsync("DescribeModelPackage", new { ModelPackageName = $"{group}/1" });
        Assert.Equal("Approved", described.GetProperty("ModelApprovalStatus").GetString());
        Assert.Equal("AUC 0.91 on the holdout; ship it", described.GetProperty("ApprovalDescription").GetString());
    }

    [Fact]
    public async Task Approving_in_the_form_deploys_the_version_to_the_endpoint_the_group_names_and_the_page_shows_it()
    {
        // Serving needs real model data, and a package's model data an s3:// URI: xgboost trained into Kiln's S3.
        var job = "studio-approve-" + Guid.NewGuid().ToString("N")[..6];
        await studio.CallAsync("CreateTrainingJob", new
        {
            TrainingJobName = job,
            RoleArn = SageMakerCalls.Role,
            AlgorithmSpecification = new { TrainingImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", TrainingInputMode = "File" },
            HyperParameters = new Dictionary<string, string> { ["objective"] = "binary:logistic", ["num_round"] = "5", ["target_column"] = "diagnosis" },
            InputDataConfig = new[] { new { ChannelName = "train", ContentType = "text/csv;header=present", DataSource = new { S3DataSource = new { S3DataType = "S3Prefix", S3Uri = new Uri(SageMakerCalls.RepositoryFile("samples", "data", "breast_cancer.csv")).AbsoluteUri } } } },
            OutputDataConfig = new { S3OutputPath = "s3://studio-models/approve" },
            ResourceConfig = new { InstanceType = "ml.m5.large", InstanceCount = 1, VolumeSizeInGB = 1 },
            StoppingCondition = new { MaxRuntimeInSeconds = 600 },
        });
        var trained = await studio.WaitAsync("DescribeTrainingJob", new { TrainingJobName = job }, "TrainingJobStatus", "InProgress", "Stopping");
        Assert.True(trained["TrainingJobStatus"]!.GetValue<string>() == "Completed", trained.ToJsonString());
        var endpoint = "approved-" + Guid.NewGuid().ToString("N")[..8];
        var (group, modelDataUrl) = await CreatePendingPackageAsync(endpoint, trained["ModelArtifacts"]!["S3ModelArtifacts"]!.GetValue<string>());
        await Assert.ThrowsAnyAsync<Exception>(() => SageMakerAsync("DescribeEndpoint", new { EndpointName = endpoint }));

        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/models/{group}/versions/1");
        await page.GetByLabel("Approve").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Record decision" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Recorded: Approved");
        var setOff = page.GetByRole(AriaRole.Table, new() { Name = "What approvals set off" }).Locator("tbody tr");
        await Assertions.Expect(setOff).ToHaveCountAsync(1);
        await Assertions.Expect(setOff.Nth(0)).ToContainTextAsync("Succeeded");
        var described = await SageMakerAsync("DescribeEndpoint", new { EndpointName = endpoint });
        var configName = described.GetProperty("EndpointConfigName").GetString()!;
        Assert.StartsWith($"{group}-v1-", configName, StringComparison.Ordinal);
        var config = await SageMakerAsync("DescribeEndpointConfig", new { EndpointConfigName = configName });
        var modelName = config.GetProperty("ProductionVariants")[0].GetProperty("ModelName").GetString()!;
        var model = await SageMakerAsync("DescribeModel", new { ModelName = modelName });
        Assert.Equal(modelDataUrl, model.GetProperty("PrimaryContainer").GetProperty("ModelDataUrl").GetString());

        await Assertions.Expect(setOff.Nth(0)).ToContainTextAsync("Endpoint");
        await Assertions.Expect(setOff.Nth(0)).ToContainTextAsync(endpoint);
        await Assertions.Expect(setOff.Nth(0)).ToContainTextAsync($"Endpoint {endpoint} created with endpoint config {configName}");
        await StudioFixture.CheckPageAsync(page, "model-package-deployed");
    }

    [Fact]
    public async Task A_form_post_without_the_antiforgery_token_is_refused_and_changes_nothing()
    {
        var (group, _) = await CreatePendingPackageAsync();
        using var post = await studio.Http.PostAsync(
            $"/studio/models/{group}/versions/1/approval",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = "Approved", ["comment"] = "forged" }));

        Assert.Equal(400, (int)post.StatusCode);
        var described = await SageMakerAsync("DescribeModelPackage", new { ModelPackageName = $"{group}/1" });
        Assert.Equal("PendingManualApproval", described.GetProperty("ModelApprovalStatus").GetString());
    }

    [Fact]
    public async Task Lineage_graph_draws_upstream_and_downstream_entities_and_a_node_opens_its_page()
    {
        var (group, modelDataUrl) = await CreatePendingPackageAsync();
        var packageArn = (await SageMakerAsync("DescribeModelPackage", new { ModelPackageName = $"{group}/1" })).GetProperty("ModelPackageArn").GetString()!;
        var modelArtifact = (await SageMakerAsync("ListArtifacts", new { SourceUri = modelDataUrl })).GetProperty("ArtifactSummaries")[0].GetProperty("ArtifactArn").GetString()!;
        var dataset = $"churn-data-{group}";
        var datasetArn = (await SageMakerAsync("CreateArtifact", new { ArtifactName = dataset, ArtifactType = "DataSet", Source = new { SourceUri = $"s3://studio-data/{group}/train.csv" } }))
            .GetProperty("ArtifactArn").GetString()!;
        var endpoint = $"churn-endpoint-{group}";
        var endpointArn = (await SageMakerAsync("CreateContext", new { ContextName = endpoint, ContextType = "Endpoint", Source = new { SourceUri = $"arn:aws:sagemaker:us-east-1:000000000000:endpoint/{endpoint}" } }))
            .GetProperty("ContextArn").GetString()!;
        await SageMakerAsync("AddAssociation", new { SourceArn = datasetArn, DestinationArn = modelArtifact, AssociationType = "ContributedTo" });
        await SageMakerAsync("AddAssociation", new { SourceArn = modelArtifact, DestinationArn = endpointArn, AssociationType = "ContributedTo" });

        var page = await studio.NewPageAsync();
        await page.GotoAsync("/lineage");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Lineage");
        await StudioFixture.CheckPageAsync(page, "lineage-index");
        await page.GetByRole(AriaRole.Link, new() { Name = dataset, Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync($"Lineage of {dataset}");

        await page.GotoAsync("/lineage?arn=" + Uri.EscapeDataString(modelArtifact));
        var graph = page.Locator("#lineage-graph");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-graph-ready", "true");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-graph-nodes", "4");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-graph-edges", "3");
        Assert.Equal("Start", await Relation(page, modelArtifact));
        Assert.Equal("Upstream", await Relation(page, datasetArn));
        Assert.Equal("Downstream", await Relation(page, packageArn));
        Assert.Equal("Downstream", await Relation(page, endpointArn));
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Associations between them (source, type, destination)" }).Locator("tbody tr")).ToHaveCountAsync(3);
        await StudioFixture.CheckPageAsync(page, "lineage-graph");

        // A click on the model package's node (Cytoscape's tap) opens the package's page.
        await page.EvaluateAsync("arn => window.kilnLineage.getElementById(arn).emit('tap')", packageArn);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync($"{group} version 1");
        await page.GetByRole(AriaRole.Link, new() { Name = "Lineage of this model package" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync($"Lineage of {group}/1");
        Assert.Equal("Start", await Relation(page, packageArn));
        Assert.Equal("Upstream", await Relation(page, datasetArn));
        Assert.Equal("Related", await Relation(page, endpointArn));
    }

    [Fact]
    public async Task Missing_models_versions_and_lineage_entities_are_404_pages_with_a_way_back()
    {
        var page = await studio.NewPageAsync();
        foreach (var (url, back, name) in new[]
        {
            ("/models/no-such-model", "Back to Models", "404-model"),
            ("/models/no-such-model/versions/1", "Back to Models", "404-model-version"),
            ("/lineage?arn=arn:aws:sagemaker:us-east-1:000000000000:artifact/gone", "Back to Lineage", "404-lineage"),
        })
        {
            var response = await page.GotoAsync(url);
            Assert.Equal(404, response!.Status);
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Not found");
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = back })).ToBeVisibleAsync();
            await StudioFixture.CheckPageAsync(page, name);
        }
    }

    private static Task<string?> Relation(IPage page, string arn) =>
        page.Locator($"table.lineage-nodes tr[data-arn='{arn}']").GetAttributeAsync("data-relation");

    /// <summary>A model package group with one package pending manual approval, with a model card and metrics; its tag names the endpoint approval deploys to.</summary>
    private async Task<(string Group, string ModelDataUrl)> CreatePendingPackageAsync(string? deployEndpoint = null, string? servedModelDataUrl = null)
    {
        var group = "pkg-" + Guid.NewGuid().ToString("N")[..8];
        var modelDataUrl = servedModelDataUrl ?? $"s3://studio-models/{group}/model.tar.gz";
        var tags = deployEndpoint is null ? [] : new[] { new { Key = "kiln.deploy.endpoint", Value = deployEndpoint } };
        await SageMakerAsync("CreateModelPackageGroup", new { ModelPackageGroupName = group, ModelPackageGroupDescription = "Churn models", Tags = tags });
        await SageMakerAsync("CreateModelPackage", new
        {
            ModelPackageGroupName = group,
            ModelPackageDescription = "Gradient boosting, 2026-12 data",
            ModelApprovalStatus = "PendingManualApproval",
            InferenceSpecification = new
            {
                Containers = new[] { new { Image = servedModelDataUrl is null ? "kiln/sklearn:latest" : "xgboost", ModelDataUrl = modelDataUrl } },
                SupportedContentTypes = new[] { "text/csv" },
                SupportedResponseMIMETypes = new[] { "text/csv" },
            },
            ModelMetrics = new { ModelQuality = new { Statistics = new { ContentType = "application/json", S3Uri = "s3://studio-models/reports/quality.json" } } },
            ModelCard = new
            {
                ModelCardStatus = "Draft",
                ModelCardContent = JsonSerializer.Serialize(new { model_overview = new { model_description = "Predicts churn within 30 days" } }),
            },
        });
        return (group, modelDataUrl);
    }

    private async Task<JsonElement> SageMakerAsync(string operation, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/x-amz-json-1.1"),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-json-1.1");
        request.Headers.Add("X-Amz-Target", "SageMaker." + operation);
        using var response = await studio.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{operation}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
    }
}
