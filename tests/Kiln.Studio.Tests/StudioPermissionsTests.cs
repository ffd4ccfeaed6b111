using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kiln.Core.Security;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>
/// Studio under <c>--auth</c> applies MLflow's permissions as the APIs do: a user logged in through the form sees only
/// the experiments, runs and models (model package groups) they may read, a page of one they may not read is Studio's
/// not-found page, and approving a model package needs EDIT on its group, as UpdateModelPackage does.
/// </summary>
public sealed class StudioPermissionsTests(StudioPermissionsTests.AuthStudio server) : IClassFixture<StudioPermissionsTests.AuthStudio>
{
    [Fact]
    public async Task A_user_sees_only_what_they_may_read_hidden_pages_are_not_found_and_approving_needs_EDIT()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var shownExperiment = $"shown-exp-{tag}";
        var hiddenExperiment = $"hidden-exp-{tag}";
        var shownId = await server.CreateExperimentAsync(shownExperiment);
        var hiddenId = await server.CreateExperimentAsync(hiddenExperiment);
        var (shownRun, shownArtifacts) = await server.CreateRunAsync(shownId, $"shown-run-{tag}");
        var (hiddenRun, hiddenArtifacts) = await server.CreateRunAsync(hiddenId, $"hidden-run-{tag}");
        await server.UploadArtifactAsync(shownArtifacts, "notes.txt", Encoding.UTF8.GetBytes("shown notes"));
        await server.UploadArtifactAsync(hiddenArtifacts, "notes.txt", Encoding.UTF8.GetBytes("hidden notes"));
        var shownGroup = $"shown-group-{tag}";
        var hiddenGroup = $"hidden-group-{tag}";
        await server.CreatePendingPackageAsync(shownGroup);
        await server.CreatePendingPackageAsync(hiddenGroup);

        var viewer = await server.Services.GetRequiredService<Users>().CreateAsync($"viewer-{tag}", isAdmin: false, canRunCode: false);
        await server.MlflowAsync("experiments/permissions/create", new { experiment_id = hiddenId, username = viewer.User.Name, permission = "NO_PERMISSIONS" });
        await server.MlflowAsync("registered-models/permissions/create", new { name = hiddenGroup, username = viewer.User.Name, permission = "NO_PERMISSIONS" });

        // The viewer holds the default permission (READ) on the shown ones and none on the hidden ones.
        var page = await server.LogInAsync(viewer);
        foreach (var list in new[] { "/", "/experiments", "/models" })
        {
            var response = await page.GotoAsync(list);
            Assert.Equal(200, response!.Status);
            var html = await page.ContentAsync();
            Assert.DoesNotContain(hiddenExperiment, html, StringComparison.Ordinal);
            Assert.DoesNotContain($"hidden-run-{tag}", html, StringComparison.Ordinal);
            Assert.DoesNotContain(hiddenGroup, html, StringComparison.Ordinal);
        }

        await page.GotoAsync("/experiments");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = shownExperiment, Exact = true })).ToBeVisibleAsync();
        await page.GotoAsync("/models");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = shownGroup, Exact = true })).ToBeVisibleAsync();
        await page.GotoAsync("/");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = $"shown-run-{tag}" })).ToBeVisibleAsync();

        foreach (var hidden in new[] { $"/experiments/{hiddenId}", $"/runs/{hiddenRun}", $"/compare?runs={shownRun}&runs={hiddenRun}", $"/models/{hiddenGroup}", $"/models/{hiddenGroup}/versions/1" })
        {
            var response = await page.GotoAsync(hidden);
            Assert.True(response!.Status == 404, $"{hidden}: {response.Status}");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Not found");
            var html = await page.ContentAsync();
            foreach (var secret in new[] { hiddenExperiment, $"hidden-run-{tag}", "hidden-secret-param", "Hidden churn models", "Predicts churn within 30 days" })
            {
                Assert.DoesNotContain(secret, html, StringComparison.Ordinal);
            }
        }

        Assert.Equal(200, (await page.APIRequest.GetAsync(StudioArtifacts.Url(shownRun, "notes.txt"))).Status);
        var hiddenArtifact = await page.APIRequest.GetAsync(StudioArtifacts.Url(hiddenRun, "notes.txt"));
        Assert.Equal(404, hiddenArtifact.Status);
        Assert.DoesNotContain("hidden notes", await hiddenArtifact.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(404, (await page.APIRequest.GetAsync($"/studio/events/run?key={hiddenRun}")).Status);

        // READ without EDIT: the form is shown, its POST is refused on the page and the status stays as it was.
        var shownVersion = await page.GotoAsync($"/models/{shownGroup}/versions/1");
        Assert.Equal(200, shownVersion!.Status);
        await page.GetByLabel("Approve").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Record decision" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Permission denied");
        Assert.Equal("PendingManualApproval", await server.ApprovalStatusAsync(shownGroup));

        // A forged POST for the hidden group (with a valid token) is answered as for a missing one, and changes nothing.
        var token = await page.Locator("form.approval input[name=__RequestVerificationToken]").GetAttributeAsync("value");
        var form = page.APIRequest.CreateFormData();
        form.Set("__RequestVerificationToken", token!);
        form.Set("decision", "Approved");
        var forged = await page.APIRequest.PostAsync($"/studio/models/{hiddenGroup}/versions/1/approval", new() { Form = form, MaxRedirects = 0 });
        Assert.Equal(404, forged.Status);
        Assert.Equal("PendingManualApproval", await server.ApprovalStatusAsync(hiddenGroup));

        // The admin sees everything and may approve; the history names them.
        var admin = await server.LogInAsync(server.Admin);
        await admin.GotoAsync("/experiments");
        await Assertions.Expect(admin.GetByRole(AriaRole.Link, new() { Name = hiddenExperiment, Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Link, new() { Name = shownExperiment, Exact = true })).ToBeVisibleAsync();
        await admin.GotoAsync("/models");
        await Assertions.Expect(admin.GetByRole(AriaRole.Link, new() { Name = hiddenGroup, Exact = true })).ToBeVisibleAsync();
        Assert.Equal(200, (await admin.GotoAsync($"/runs/{hiddenRun}"))!.Status);
        await Assertions.Expect(admin.Locator("h1")).ToHaveTextAsync($"hidden-run-{tag}");
        Assert.Equal(200, (await admin.GotoAsync($"/models/{hiddenGroup}/versions/1"))!.Status);
        await admin.GetByLabel("Approve").CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Record decision" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync("Recorded: Approved");
        await Assertions.Expect(admin.GetByRole(AriaRole.Table, new() { Name = "Approval history, oldest first" }).Locator("tbody tr").Nth(1)).ToContainTextAsync(server.Admin.User.Name);
        Assert.Equal("Approved", await server.ApprovalStatusAsync(hiddenGroup));
    }

    [Fact]
    public async Task Lineage_and_job_pages_leave_out_the_model_packages_and_runs_a_user_may_not_read()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var hiddenGroup = $"hidden-lineage-{tag}";
        var hiddenExperiment = $"hidden-jobs-{tag}";
        await server.CreatePendingPackageAsync(hiddenGroup);
        var packageArn = (await server.CallAsync("DescribeModelPackage", new { ModelPackageName = $"{hiddenGroup}/1" }))["ModelPackageArn"]!.GetValue<string>();
        var modelArn = (await server.CallAsync("ListArtifacts", new { SourceUri = $"s3://studio-models/{hiddenGroup}/model.tar.gz" }))["ArtifactSummaries"]![0]!["ArtifactArn"]!.GetValue<string>();
        var hiddenId = await server.CreateExperimentAsync(hiddenExperiment);

        // A job tracked in the hidden experiment: its run is made before its (missing) data is read, so it has one.
        var job = $"hidden-job-{tag}";
        await server.CallAsync("CreateTrainingJob", new
        {
            TrainingJobName = job,
            RoleArn = SageMakerCalls.Role,
            AlgorithmSpecification = new { TrainingImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", TrainingInputMode = "File" },
            HyperParameters = new Dictionary<string, string> { ["objective"] = "binary:logistic", ["num_round"] = "2" },
            InputDataConfig = new[] { new { ChannelName = "train", ContentType = "text/csv", DataSource = new { S3DataSource = new { S3DataType = "S3Prefix", S3Uri = $"s3://studio-missing-{tag}/train.csv" } } } },
            OutputDataConfig = new { S3OutputPath = $"s3://studio-models/{job}" },
            ResourceConfig = new { InstanceType = "ml.m5.large", InstanceCount = 1, VolumeSizeInGB = 1 },
            StoppingCondition = new { MaxRuntimeInSeconds = 60 },
            ExperimentConfig = new { ExperimentName = hiddenExperiment },
        });
        await server.WaitAsync("DescribeTrainingJob", new { TrainingJobName = job }, "TrainingJobStatus", "InProgress", "Stopping");
        var runId = (await server.MlflowAsync("runs/search", new { experiment_ids = new[] { hiddenId } })).GetProperty("runs")[0].GetProperty("info").GetProperty("run_id").GetString()!;

        var viewer = await server.Services.GetRequiredService<Users>().CreateAsync($"lineage-viewer-{tag}", isAdmin: false, canRunCode: false);
        await server.MlflowAsync("experiments/permissions/create", new { experiment_id = hiddenId, username = viewer.User.Name, permission = "NO_PERMISSIONS" });
        await server.MlflowAsync("registered-models/permissions/create", new { name = hiddenGroup, username = viewer.User.Name, permission = "NO_PERMISSIONS" });
        var page = await server.LogInAsync(viewer);
        var admin = await server.LogInAsync(server.Admin);
        var packageLabel = $"{hiddenGroup}/1";

        // The lineage list and the graph of the model data: the admin sees the package, the viewer does not.
        foreach (var path in new[] { "/lineage", $"/lineage?arn={Uri.EscapeDataString(modelArn)}" })
        {
            Assert.Equal(200, (await admin.GotoAsync(path))!.Status);
            Assert.Contains(packageLabel, await admin.ContentAsync(), StringComparison.Ordinal);
            Assert.Equal(200, (await page.GotoAsync(path))!.Status);
            var html = await page.ContentAsync();
            Assert.DoesNotContain(packageLabel, html, StringComparison.Ordinal);
            Assert.DoesNotContain($"model-package/{hiddenGroup}", html, StringComparison.Ordinal);
        }

        // The package's own lineage page is not found for the viewer, as for an ARN that does not exist.
        var hiddenLineage = await page.GotoAsync($"/lineage?arn={Uri.EscapeDataString(packageArn)}");
        Assert.Equal(404, hiddenLineage!.Status);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Not found");
        Assert.DoesNotContain("ContributedTo", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Equal(200, (await admin.GotoAsync($"/lineage?arn={Uri.EscapeDataString(packageArn)}"))!.Status);

        // The job is anyone's to see, but not its run in the hidden experiment.
        Assert.Equal(200, (await page.GotoAsync($"/jobs/training/{job}"))!.Status);
        var jobHtml = await page.ContentAsync();
        Assert.Contains(job, jobHtml, StringComparison.Ordinal);
        Assert.DoesNotContain(runId, jobHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("Tracked run", jobHtml, StringComparison.Ordinal);
        await admin.GotoAsync($"/jobs/training/{job}");
        Assert.Contains(runId, await admin.ContentAsync(), StringComparison.Ordinal);
    }

    /// <summary>A Studio server started with <c>--auth</c>, and an admin whose basic credentials the API calls send.</summary>
    public sealed class AuthStudio() : StudioFixture(options => options with { Auth = true })
    {
        public UserCredentials Admin { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Admin = await Services.GetRequiredService<Users>().CreateAsync("ada", isAdmin: true, canRunCode: true);
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Admin.User.Name + ":" + Admin.SecretAccessKey)));
        }

        /// <summary>A fresh browser context logged in through Studio's form.</summary>
        public async Task<IPage> LogInAsync(UserCredentials user)
        {
            var page = await NewPageAsync();
            await page.GotoAsync("/login");
            await page.GetByLabel("User name").FillAsync(user.User.Name);
            await page.GetByLabel("Secret access key").FillAsync(user.SecretAccessKey);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync($"Logged in as {user.User.Name}");
            return page;
        }

        /// <summary>A run (still running) with one metric and a param that names whether it is the hidden one.</summary>
        public async Task<(string RunId, string ArtifactUri)> CreateRunAsync(string experimentId, string name)
        {
            var info = (await MlflowAsync("runs/create", new { experiment_id = experimentId, run_name = name, start_time = 1_780_000_000_000 })).GetProperty("run").GetProperty("info");
            var runId = info.GetProperty("run_id").GetString()!;
            await MlflowAsync("runs/log-batch", new
            {
                run_id = runId,
                metrics = new[] { new { key = "auc", value = 0.9, timestamp = 1_780_000_000_000, step = 0L } },
                @params = new[] { new { key = "secret", value = name.StartsWith("hidden", StringComparison.Ordinal) ? "hidden-secret-param" : "shown-param" } },
                tags = Array.Empty<object>(),
            });
            return (runId, info.GetProperty("artifact_uri").GetString()!);
        }

        public async Task CreatePendingPackageAsync(string group)
        {
            await this.CallAsync("CreateModelPackageGroup", new { ModelPackageGroupName = group, ModelPackageGroupDescription = group.StartsWith("hidden", StringComparison.Ordinal) ? "Hidden churn models" : "Shown churn models" });
            await this.CallAsync("CreateModelPackage", new
            {
                ModelPackageGroupName = group,
                ModelApprovalStatus = "PendingManualApproval",
                InferenceSpecification = new
                {
                    Containers = new[] { new { Image = "kiln/sklearn:latest", ModelDataUrl = $"s3://studio-models/{group}/model.tar.gz" } },
                    SupportedContentTypes = new[] { "text/csv" },
                    SupportedResponseMIMETypes = new[] { "text/csv" },
                },
                ModelCard = new { ModelCardStatus = "Draft", ModelCardContent = JsonSerializer.Serialize(new { model_overview = new { model_description = "Predicts churn within 30 days" } }) },
            });
        }

        public async Task<string> ApprovalStatusAsync(string group) =>
            (await this.CallAsync("DescribeModelPackage", new { ModelPackageName = $"{group}/1" }))["ModelApprovalStatus"]!.GetValue<string>();
    }
}
