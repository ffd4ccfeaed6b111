using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>The Jobs and Tuning areas on real jobs started through the SageMaker API: xgboost training, a tuning job, a long script job stopped from the page.</summary>
[Collection(StudioCollection.Name)]
public sealed class JobsPagesTests(StudioFixture studio)
{
    private const string Xgboost = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
    private const string Role = "arn:aws:iam::123456789012:role/KilnTests";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _trainingJob;
    private static string? _tuningJob;

    [Fact]
    public async Task Jobs_list_filters_by_type_and_status_and_a_training_job_page_shows_timeline_log_metrics_and_data()
    {
        var name = await TrainingJobAsync();
        var page = await studio.NewPageAsync();

        await page.GotoAsync("/jobs");
        await Assertions.Expect(page.Locator("table.jobs tbody")).ToContainTextAsync(name);
        await StudioFixture.CheckPageAsync(page, "jobs");

        await page.GetByLabel("Type").SelectOptionAsync("processing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("type=processing"));
        await Assertions.Expect(page.Locator("main")).Not.ToContainTextAsync(name);

        await page.GotoAsync("/jobs?type=training&status=Failed");
        await Assertions.Expect(page.Locator("main")).Not.ToContainTextAsync(name);
        await page.GotoAsync("/jobs?type=training&status=Completed");
        await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();

        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(name);
        var timeline = page.Locator("ol.timeline");
        foreach (var step in new[] { "Starting", "Downloading", "Training", "Uploading", "Completed" })
        {
            await Assertions.Expect(timeline).ToContainTextAsync(step);
        }

        await Assertions.Expect(page.Locator("pre.log .line").First).ToBeVisibleAsync();
        Assert.True(await page.Locator("pre.log .line").CountAsync() > 3, "the log shows the job's lines");
        await Assertions.Expect(page.Locator("table.final-metrics")).ToContainTextAsync("validation:logloss");
        await Assertions.Expect(page.Locator(".charts [data-chart-ready=true]").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("train");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("model.tar.gz");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Stop" })).ToHaveCountAsync(0);
        await StudioFixture.CheckPageAsync(page, "training-job");
    }

    [Fact]
    public async Task A_training_job_run_page_links_to_the_lineage_of_the_job_trial_component()
    {
        var name = await TrainingJobAsync();
        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/jobs/training/{name}");
        await page.Locator("dl.facts a[href^='/runs/']").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/runs/"));

        var link = page.GetByRole(AriaRole.Link, new() { Name = $"Lineage of Trial component {name}-aws-training-job" });
        await Assertions.Expect(link).ToBeVisibleAsync();
        await link.ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync($"Lineage of {name}");
        await Assertions.Expect(page.Locator("table.lineage-nodes")).ToContainTextAsync("model.tar.gz");
    }

    [Fact]
    public async Task Tuning_page_shows_each_trial_the_best_one_parameter_importance_and_scatter_plots()
    {
        var name = await TuningJobAsync();
        var page = await studio.NewPageAsync();

        await page.GotoAsync("/tuning");
        await Assertions.Expect(page.Locator("table.tuning-jobs tbody")).ToContainTextAsync(name);
        await StudioFixture.CheckPageAsync(page, "tuning-jobs");

        await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(name);
        await Assertions.Expect(page.Locator("table.trials tbody tr")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("table.trials tr.best")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("table.trials tr.best")).ToContainTextAsync("Best");

        // The best row is the one with the lowest validation:logloss (the objective is minimized).
        var objectives = new List<double>();
        foreach (var row in await page.Locator("table.trials tbody tr").AllAsync())
        {
            objectives.Add(double.Parse(await row.Locator("td").Nth(3).InnerTextAsync(), CultureInfo.InvariantCulture));
        }

        var bestObjective = double.Parse(await page.Locator("table.trials tr.best td").Nth(3).InnerTextAsync(), CultureInfo.InvariantCulture);
        Assert.Equal(objectives.Min(), bestObjective);

        var importance = page.Locator("table.importance tbody");
        await Assertions.Expect(importance.Locator("tr")).ToHaveCountAsync(2);
        await Assertions.Expect(importance).ToContainTextAsync("eta");
        await Assertions.Expect(importance).ToContainTextAsync("max_depth");
        await Assertions.Expect(importance).ToContainTextAsync("Spearman");
        await Assertions.Expect(page.Locator("[data-chart-ready=true]")).ToHaveCountAsync(3);
        await StudioFixture.CheckPageAsync(page, "tuning-job");

        await page.Locator("table.trials tr.best").GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync(name);
    }

    [Fact]
    public async Task A_running_job_page_follows_its_log_live_and_its_Stop_button_stops_it()
    {
        var name = "studio-sleep-" + Guid.NewGuid().ToString("N")[..6];
        await CallAsync("CreateTrainingJob", new
        {
            TrainingJobName = name,
            RoleArn = Role,
            AlgorithmSpecification = new
            {
                TrainingImage = "kiln/script",
                TrainingInputMode = "File",
                ContainerEntrypoint = new[] { "bash", "-c", "echo started; for i in $(seq 1 600); do echo tick $i; sleep 1; done" },
            },
            InputDataConfig = new[] { Channel("train", DataFolder("script", "a.csv", "1\n")) },
            OutputDataConfig = new { S3OutputPath = new Uri(Path.Combine(studio.DataDirectory, "job-output")).AbsoluteUri },
            ResourceConfig = new { InstanceType = "ml.m5.large", InstanceCount = 1, VolumeSizeInGB = 1 },
            StoppingCondition = new { MaxRuntimeInSeconds = 900 },
        });

        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/jobs/training/{name}");
        await Assertions.Expect(page.Locator("#job-live[data-live-connected=true]")).ToHaveCountAsync(1);
        // Live tail: lines the job writes after the page loaded appear without a reload.
        await Assertions.Expect(page.Locator("pre.log")).ToContainTextAsync("tick 3", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("ol.timeline")).ToContainTextAsync("Training");
        await StudioFixture.CheckPageAsync(page, "running-job");
        var list = await studio.NewPageAsync();
        await list.GotoAsync("/jobs?type=training");
        await Assertions.Expect(list.Locator("#jobs-list[data-live-connected=true]")).ToHaveCountAsync(1);

        await page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Stop requested");
        var described = await WaitAsync("DescribeTrainingJob", new { TrainingJobName = name }, "TrainingJobStatus");
        Assert.Equal("Stopped", described["TrainingJobStatus"]!.GetValue<string>());

        // The open page learns it over the live stream.
        await Assertions.Expect(page.Locator("#job-live .status").First).ToHaveTextAsync("Stopped", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("ol.timeline")).ToContainTextAsync("Stopped");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Stop" })).ToHaveCountAsync(0);
        // So does the jobs list, past Stopping (which the home page's in-progress fingerprint did not follow).
        await Assertions.Expect(list.Locator("#jobs-list tr", new() { HasText = name }).Locator(".status")).ToHaveTextAsync("Stopped", new() { Timeout = 30_000 });
    }

    [Fact]
    public async Task A_running_processing_job_page_shows_what_DescribeProcessingJob_says_and_its_Stop_button_stops_it()
    {
        var name = "studio-proc-" + Guid.NewGuid().ToString("N")[..6];
        var input = DataFolder("processing-" + name, "rows.csv", "1,2\n3,4\n");
        var output = new Uri(Path.Combine(studio.DataDirectory, "processing-output", name)).AbsoluteUri;
        await CallAsync("CreateProcessingJob", new
        {
            ProcessingJobName = name,
            RoleArn = Role,
            ProcessingResources = new { ClusterConfig = new { InstanceCount = 1, InstanceType = "ml.m5.large", VolumeSizeInGB = 1 } },
            AppSpecification = new
            {
                ImageUri = "kiln/script",
                ContainerEntrypoint = new[] { "bash", "-c", "echo processing-start; wc -l < \"$IN/rows.csv\"; cp \"$IN/rows.csv\" \"$OUT/\"; for i in $(seq 1 600); do echo tick $i; sleep 1; done" },
            },
            Environment = new Dictionary<string, string> { ["IN"] = "/opt/ml/processing/input/rows", ["OUT"] = "/opt/ml/processing/output" },
            ProcessingInputs = new[]
            {
                new { InputName = "rows", S3Input = new { S3Uri = input, LocalPath = "/opt/ml/processing/input/rows", S3DataType = "S3Prefix", S3InputMode = "File", S3DataDistributionType = "FullyReplicated" } },
            },
            ProcessingOutputConfig = new { Outputs = new[] { new { OutputName = "copied", S3Output = new { S3Uri = output, LocalPath = "/opt/ml/processing/output", S3UploadMode = "EndOfJob" } } } },
            StoppingCondition = new { MaxRuntimeInSeconds = 900 },
        });

        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/jobs/processing/{name}");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(name);
        await Assertions.Expect(page.Locator("p.crumbs")).ToContainTextAsync("Processing job");
        await Assertions.Expect(page.Locator("#job-live[data-live-connected=true]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("pre.log")).ToContainTextAsync("tick 2", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("pre.log")).ToContainTextAsync("processing-start");

        var described = await CallAsync("DescribeProcessingJob", new { ProcessingJobName = name });
        Assert.Equal("InProgress", described["ProcessingJobStatus"]!.GetValue<string>());
        await Assertions.Expect(page.Locator("#job-live .status").First).ToHaveTextAsync("InProgress");
        await Assertions.Expect(page.Locator("ol.timeline li")).ToHaveTextAsync([new System.Text.RegularExpressions.Regex("^Created"), new System.Text.RegularExpressions.Regex("^Running")]);

        // Inputs and outputs as the service keeps them: the same URIs and local paths DescribeProcessingJob answers.
        var describedInput = described["ProcessingInputs"]![0]!["S3Input"]!;
        var inputRow = page.Locator("section[aria-labelledby=inputs-heading] tbody tr");
        await Assertions.Expect(inputRow).ToHaveCountAsync(1);
        await Assertions.Expect(inputRow.Locator("td").Nth(0)).ToHaveTextAsync(described["ProcessingInputs"]![0]!["InputName"]!.GetValue<string>());
        await Assertions.Expect(inputRow.Locator("td").Nth(1)).ToHaveTextAsync(describedInput["S3Uri"]!.GetValue<string>());
        await Assertions.Expect(inputRow.Locator("td").Nth(2)).ToContainTextAsync(describedInput["LocalPath"]!.GetValue<string>());
        var describedOutput = described["ProcessingOutputConfig"]!["Outputs"]![0]!;
        var outputRow = page.Locator("section[aria-labelledby=outputs-heading] tbody tr");
        await Assertions.Expect(outputRow).ToHaveCountAsync(1);
        await Assertions.Expect(outputRow.Locator("td").Nth(0)).ToHaveTextAsync(describedOutput["OutputName"]!.GetValue<string>());
        await Assertions.Expect(outputRow.Locator("td").Nth(1)).ToHaveTextAsync(describedOutput["S3Output"]!["S3Uri"]!.GetValue<string>());
        await Assertions.Expect(outputRow.Locator("td").Nth(2)).ToContainTextAsync(describedOutput["S3Output"]!["S3UploadMode"]!.GetValue<string>());
        await Assertions.Expect(page.Locator("section[aria-labelledby=settings-heading]")).ToContainTextAsync("/opt/ml/processing/input/rows");
        await StudioFixture.CheckPageAsync(page, "processing-job");

        await page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Stop requested");
        var stopped = await WaitAsync("DescribeProcessingJob", new { ProcessingJobName = name }, "ProcessingJobStatus");
        Assert.Equal("Stopped", stopped["ProcessingJobStatus"]!.GetValue<string>());
        await Assertions.Expect(page.Locator("#job-live .status").First).ToHaveTextAsync("Stopped", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("ol.timeline li").Last).ToContainTextAsync("Stopped");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Stop" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_completed_processing_job_shows_its_exit_message_as_a_fact_not_as_a_failure_and_the_outputs_it_uploaded()
    {
        var name = "studio-proc-done-" + Guid.NewGuid().ToString("N")[..6];
        var output = new Uri(Path.Combine(studio.DataDirectory, "processing-output", name)).AbsoluteUri;
        await CallAsync("CreateProcessingJob", new
        {
            ProcessingJobName = name,
            RoleArn = Role,
            ProcessingResources = new { ClusterConfig = new { InstanceCount = 1, InstanceType = "ml.m5.large", VolumeSizeInGB = 1 } },
            AppSpecification = new { ImageUri = "kiln/script", ContainerEntrypoint = new[] { "bash", "-c", "echo summing; echo 42 > \"$OUT/sum.txt\"; echo 'Summed 3 rows' > \"$MESSAGE\"" } },
            Environment = new Dictionary<string, string> { ["OUT"] = "/opt/ml/processing/output", ["MESSAGE"] = "/opt/ml/output/message" },
            ProcessingOutputConfig = new { Outputs = new[] { new { OutputName = "sum", S3Output = new { S3Uri = output, LocalPath = "/opt/ml/processing/output", S3UploadMode = "EndOfJob" } } } },
        });
        var described = await WaitAsync("DescribeProcessingJob", new { ProcessingJobName = name }, "ProcessingJobStatus");
        Assert.True(described["ProcessingJobStatus"]!.GetValue<string>() == "Completed", described.ToJsonString());
        Assert.Equal("Summed 3 rows", described["ExitMessage"]!.GetValue<string>());

        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/jobs/processing/{name}");
        await Assertions.Expect(page.Locator("ol.timeline li")).ToHaveTextAsync(
            [new System.Text.RegularExpressions.Regex("^Created"), new System.Text.RegularExpressions.Regex("^Running"), new System.Text.RegularExpressions.Regex("^Completed")]);
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("Exit message");
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("Summed 3 rows");
        await Assertions.Expect(page.Locator("dl.facts dd.failure")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("pre.log")).ToContainTextAsync("summing");
        await Assertions.Expect(page.Locator("section[aria-labelledby=inputs-heading]")).ToContainTextAsync("None.");
        await Assertions.Expect(page.Locator("section[aria-labelledby=outputs-heading] tbody tr td").Nth(1)).ToHaveTextAsync(output);
        Assert.Equal("42", File.ReadAllText(Path.Combine(new Uri(output).LocalPath, "sum.txt")).Trim());
    }

    [Fact]
    public async Task A_batch_transform_job_page_shows_its_timeline_log_input_output_and_progress_as_DescribeTransformJob_does()
    {
        var training = await CallAsync("DescribeTrainingJob", new { TrainingJobName = await TrainingJobAsync() });
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var model = "studio-bt-model-" + suffix;
        await CallAsync("CreateModel", new
        {
            ModelName = model,
            ExecutionRoleArn = Role,
            PrimaryContainer = new { Image = Xgboost, ModelDataUrl = training["ModelArtifacts"]!["S3ModelArtifacts"]!.GetValue<string>() },
        });
        // Five rows of features (the label column left out), one prediction each.
        var source = Path.Combine(RepositoryRoot(), "samples", "data", "breast_cancer.csv");
        var features = string.Join('\n', File.ReadLines(source).Skip(1).Take(5).Select(line => string.Join(',', line.Split(',')[..^1]))) + "\n";
        var input = DataFolder("transform-" + suffix, "rows.csv", features);
        var name = "studio-bt-" + suffix;
        await CallAsync("CreateTransformJob", new
        {
            TransformJobName = name,
            ModelName = model,
            TransformInput = new { DataSource = new { S3DataSource = new { S3DataType = "S3Prefix", S3Uri = input } }, ContentType = "text/csv", SplitType = "Line" },
            TransformOutput = new { S3OutputPath = new Uri(Path.Combine(studio.DataDirectory, "transform-output", name)).AbsoluteUri, AssembleWith = "Line" },
            TransformResources = new { InstanceType = "ml.m5.large", InstanceCount = 1 },
        });
        var described = await WaitAsync("DescribeTransformJob", new { TransformJobName = name }, "TransformJobStatus");
        Assert.True(described["TransformJobStatus"]!.GetValue<string>() == "Completed", described.ToJsonString());

        var page = await studio.NewPageAsync();
        await page.GotoAsync("/jobs?type=transform");
        await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(name);
        await Assertions.Expect(page.Locator("p.crumbs")).ToContainTextAsync("Transform job");
        await Assertions.Expect(page.Locator("#job-live .status").First).ToHaveTextAsync("Completed");
        await Assertions.Expect(page.Locator("ol.timeline li")).ToHaveTextAsync(
            [new System.Text.RegularExpressions.Regex("^Created"), new System.Text.RegularExpressions.Regex("^Running"), new System.Text.RegularExpressions.Regex("^Completed")]);

        var facts = page.Locator("dl.facts");
        await Assertions.Expect(facts).ToContainTextAsync(described["ModelName"]!.GetValue<string>());
        await Assertions.Expect(facts).ToContainTextAsync("1/1 files, 5/5 records");
        var log = page.Locator("pre.log");
        await Assertions.Expect(log).ToContainTextAsync("Transforming rows.csv");
        await Assertions.Expect(log).ToContainTextAsync("Completed: output in " + described["TransformOutput"]!["S3OutputPath"]!.GetValue<string>());
        await Assertions.Expect(page.Locator("p.log-note")).ToContainTextAsync("lines.");

        var inputRow = page.Locator("section[aria-labelledby=inputs-heading] tbody tr");
        await Assertions.Expect(inputRow).ToHaveCountAsync(1);
        await Assertions.Expect(inputRow.Locator("td").Nth(1)).ToHaveTextAsync(described["TransformInput"]!["DataSource"]!["S3DataSource"]!["S3Uri"]!.GetValue<string>());
        await Assertions.Expect(inputRow.Locator("td").Nth(2)).ToContainTextAsync("text/csv");
        await Assertions.Expect(inputRow.Locator("td").Nth(2)).ToContainTextAsync("split Line");
        var outputRow = page.Locator("section[aria-labelledby=outputs-heading] tbody tr");
        await Assertions.Expect(outputRow).ToHaveCountAsync(1);
        await Assertions.Expect(outputRow.Locator("td").Nth(1)).ToHaveTextAsync(described["TransformOutput"]!["S3OutputPath"]!.GetValue<string>());
        await Assertions.Expect(outputRow.Locator("td").Nth(2)).ToContainTextAsync("assemble with Line");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Stop" })).ToHaveCountAsync(0);
        await StudioFixture.CheckPageAsync(page, "transform-job");
    }

    [Fact]
    public async Task A_stop_without_the_pages_antiforgery_token_is_refused()
    {
        using var response = await studio.Http.PostAsync("studio/jobs/training/any-job/stop", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("/jobs/training/no-such-job", "no such training job")]
    [InlineData("/jobs/processing/no-such-job", "no such processing job")]
    [InlineData("/jobs/bogus/no-such-job", "unknown kind")]
    [InlineData("/tuning/no-such-tuning-job", "no such tuning job")]
    public async Task A_missing_job_is_a_404_page_with_a_way_back(string path, string because)
    {
        var page = await studio.NewPageAsync();
        var response = await page.GotoAsync(path);
        Assert.True(response!.Status == 404, because);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Not found");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = path.StartsWith("/tuning", StringComparison.Ordinal) ? "Back to Tuning" : "Back to Jobs" })).ToBeVisibleAsync();
    }

    /// <summary>One completed xgboost training job (train and validation channels), shared by the tests.</summary>
    private async Task<string> TrainingJobAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_trainingJob is null)
            {
                var name = "studio-xgb-" + Guid.NewGuid().ToString("N")[..6];
                var (train, validation) = BreastCancer();
                await CallAsync("CreateTrainingJob", new
                {
                    TrainingJobName = name,
                    RoleArn = Role,
                    AlgorithmSpecification = new { TrainingImage = Xgboost, TrainingInputMode = "File" },
                    HyperParameters = new Dictionary<string, string> { ["objective"] = "binary:logistic", ["num_round"] = "20", ["max_depth"] = "3" },
                    InputDataConfig = new[] { Channel("train", train), Channel("validation", validation) },
                    OutputDataConfig = new { S3OutputPath = new Uri(Path.Combine(studio.DataDirectory, "job-output")).AbsoluteUri },
                    ResourceConfig = new { InstanceType = "ml.m5.large", InstanceCount = 1, VolumeSizeInGB = 1 },
                    StoppingCondition = new { MaxRuntimeInSeconds = 600 },
                });
                var job = await WaitAsync("DescribeTrainingJob", new { TrainingJobName = name }, "TrainingJobStatus");
                Assert.True(job["TrainingJobStatus"]!.GetValue<string>() == "Completed", job.ToJsonString());
                _trainingJob = name;
            }

            return _trainingJob;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>A finished random search of 4 xgboost trials over eta and max_depth, minimizing validation:logloss.</summary>
    private async Task<string> TuningJobAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_tuningJob is null)
            {
                var name = "studio-hpo-" + Guid.NewGuid().ToString("N")[..6];
                var (train, validation) = BreastCancer();
                await CallAsync("CreateHyperParameterTuningJob", new
                {
                    HyperParameterTuningJobName = name,
                    HyperParameterTuningJobConfig = new
                    {
                        Strategy = "Random",
                        HyperParameterTuningJobObjective = new { Type = "Minimize", MetricName = "validation:logloss" },
                        ResourceLimits = new { MaxNumberOfTrainingJobs = 4, MaxParallelTrainingJobs = 2 },
                        ParameterRanges = new
                        {
                            ContinuousParameterRanges = new[] { new { Name = "eta", MinValue = "0.01", MaxValue = "0.5", ScalingType = "Logarithmic" } },
                            IntegerParameterRanges = new[] { new { Name = "max_depth", MinValue = "1", MaxValue = "6", ScalingType = "Linear" } },
                        },
                        TrainingJobEarlyStoppingType = "Off",
                        RandomSeed = 7,
                    },
                    TrainingJobDefinition = new
                    {
                        StaticHyperParameters = new Dictionary<string, string> { ["objective"] = "binary:logistic", ["num_round"] = "15" },
                        AlgorithmSpecification = new { TrainingImage = Xgboost, TrainingInputMode = "File" },
                        RoleArn = Role,
                        InputDataConfig = new[] { Channel("train", train), Channel("validation", validation) },
                        OutputDataConfig = new { S3OutputPath = new Uri(Path.Combine(studio.DataDirectory, "tuning-output")).AbsoluteUri },
                        ResourceConfig = new { InstanceType = "ml.m5.large", InstanceCount = 1, VolumeSizeInGB = 1 },
                        StoppingCondition = new { MaxRuntimeInSeconds = 600 },
                    },
                });
                var job = await WaitAsync("DescribeHyperParameterTuningJob", new { HyperParameterTuningJobName = name }, "HyperParameterTuningJobStatus");
                Assert.True(job["HyperParameterTuningJobStatus"]!.GetValue<string>() == "Completed", job.ToJsonString());
                _tuningJob = name;
            }

            return _tuningJob;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The bundled breast-cancer CSV in SageMaker's convention (no header, label first: malignant = 1), split 80/20 into two folders.</summary>
    private (string Train, string Validation) BreastCancer()
    {
        var source = Path.Combine(RepositoryRoot(), "samples", "data", "breast_cancer.csv");
        var rows = File.ReadAllLines(source).Skip(1).Where(line => line.Length > 0).Select(line =>
        {
            var cells = line.Split(',');
            return (cells[^1] == "M" ? "1" : "0") + "," + string.Join(',', cells[..^1]);
        }).ToList();
        var cut = rows.Count * 8 / 10;
        return (DataFolder("train", "train.csv", string.Join('\n', rows[..cut]) + "\n"), DataFolder("validation", "validation.csv", string.Join('\n', rows[cut..]) + "\n"));
    }

    private string DataFolder(string folder, string file, string content)
    {
        var directory = Path.Combine(studio.DataDirectory, "job-data", folder);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, file), content);
        return new Uri(directory + "/").AbsoluteUri;
    }

    private static object Channel(string name, string uri) => new
    {
        ChannelName = name,
        ContentType = "text/csv",
        DataSource = new { S3DataSource = new { S3DataType = "S3Prefix", S3Uri = uri, S3DataDistributionType = "FullyReplicated" } },
    };

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "samples", "data", "breast_cancer.csv")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("samples/data/breast_cancer.csv not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A SageMaker call (AWS JSON 1.1: POST / with X-Amz-Target), as the SDKs make it.</summary>
    private async Task<JsonObject> CallAsync(string operation, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/x-amz-json-1.1"),
        };
        request.Headers.Add("X-Amz-Target", "SageMaker." + operation);
        using var response = await studio.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{operation} failed ({(int)response.StatusCode}): {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task<JsonObject> WaitAsync(string operation, object body, string statusMember)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (true)
        {
            var described = await CallAsync(operation, body);
            if (described[statusMember]!.GetValue<string>() is not ("InProgress" or "Stopping") || timeout.IsCancellationRequested)
            {
                return described;
            }

            await Task.Delay(300);
        }
    }
}
