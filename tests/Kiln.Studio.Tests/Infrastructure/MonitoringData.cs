using Kiln.Core.Objects;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Studio.Tests.Infrastructure;

/// <summary>
/// A data quality schedule on the seeded endpoint with one finished execution: a baseline suggested by Model Monitor's
/// analyzer over the breast-cancer features, a job definition with it, and a schedule that runs NOW over the captured
/// hour, all through the SageMaker API.
/// </summary>
public sealed record MonitoringData(string Schedule)
{
    private const string Analyzer = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer";
    private static readonly object Cluster = new { ClusterConfig = new { InstanceCount = 1, InstanceType = "ml.m5.xlarge", VolumeSizeInGB = 20 } };
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static MonitoringData? _seeded;

    public static async Task<MonitoringData> SeedAsync(StudioFixture studio)
    {
        await Gate.WaitAsync();
        try
        {
            return _seeded ??= await CreateAsync(studio);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<MonitoringData> CreateAsync(StudioFixture studio)
    {
        var endpoint = await EndpointData.SeedAsync(studio);
        for (var i = 0; i < 20; i++)
        {
            await studio.InvokeAsync(endpoint.Endpoint, endpoint.Row);
        }

        // The schedule runs at once and analyzes the capture files of the last hour: wait until the writer stored some.
        var objects = studio.Services.GetRequiredService<ObjectStore>();
        for (var attempt = 0; attempt < 60 && !await HasCaptureAsync(objects, endpoint.Endpoint); attempt++)
        {
            await Task.Delay(250);
        }

        var id = Guid.NewGuid().ToString("N")[..6];
        var features = Path.Combine(studio.DataDirectory, "baseline-" + id);
        Directory.CreateDirectory(features);
        var csv = SageMakerCalls.RepositoryFile("samples", "data", "breast_cancer.csv");
        await File.WriteAllLinesAsync(Path.Combine(features, "features.csv"), File.ReadLines(csv).Skip(1).Select(line => string.Join(',', line.Split(',')[..^1])));
        var baseline = $"s3://{EndpointData.CaptureBucket}/monitoring-{id}/baseline";
        var job = "studio-baseline-" + id;
        await studio.CallAsync("CreateProcessingJob", new
        {
            ProcessingJobName = job,
            RoleArn = SageMakerCalls.Role,
            ProcessingResources = Cluster,
            AppSpecification = new { ImageUri = Analyzer },
            Environment = new Dictionary<string, string>
            {
                ["dataset_format"] = "{\"csv\": {\"header\": false}}",
                ["dataset_source"] = "/opt/ml/processing/input/baseline_dataset_input",
                ["output_path"] = "/opt/ml/processing/output",
                ["publish_cloudwatch_metrics"] = "Disabled",
            },
            ProcessingInputs = new[]
            {
                new { InputName = "baseline_dataset_input", S3Input = new { S3Uri = new Uri(features).AbsoluteUri, LocalPath = "/opt/ml/processing/input/baseline_dataset_input", S3DataType = "S3Prefix", S3InputMode = "File", S3DataDistributionType = "FullyReplicated" } },
            },
            ProcessingOutputConfig = new { Outputs = new[] { new { OutputName = "monitoring_output", S3Output = new { S3Uri = baseline, LocalPath = "/opt/ml/processing/output", S3UploadMode = "EndOfJob" } } } },
        });
        var baselined = await studio.WaitAsync("DescribeProcessingJob", new { ProcessingJobName = job }, "ProcessingJobStatus", "InProgress", "Stopping");
        Assert.True(baselined["ProcessingJobStatus"]!.GetValue<string>() == "Completed", baselined.ToJsonString());

        var definition = "studio-dq-" + id;
        await studio.CallAsync("CreateDataQualityJobDefinition", new
        {
            JobDefinitionName = definition,
            RoleArn = SageMakerCalls.Role,
            JobResources = Cluster,
            DataQualityAppSpecification = new { ImageUri = Analyzer },
            DataQualityJobInput = new { EndpointInput = new { EndpointName = endpoint.Endpoint, LocalPath = "/opt/ml/processing/input/endpoint" } },
            DataQualityJobOutputConfig = new { MonitoringOutputs = new[] { new { S3Output = new { S3Uri = $"s3://{EndpointData.CaptureBucket}/monitoring-{id}/reports", LocalPath = "/opt/ml/processing/output" } } } },
            DataQualityBaselineConfig = new
            {
                ConstraintsResource = new { S3Uri = baseline + "/constraints.json" },
                StatisticsResource = new { S3Uri = baseline + "/statistics.json" },
            },
            StoppingCondition = new { MaxRuntimeInSeconds = 1800 },
        });
        var schedule = "studio-schedule-" + id;
        await studio.CallAsync("CreateMonitoringSchedule", new
        {
            MonitoringScheduleName = schedule,
            MonitoringScheduleConfig = new
            {
                ScheduleConfig = new { ScheduleExpression = "NOW", DataAnalysisStartTime = "-PT1H", DataAnalysisEndTime = "-PT0H" },
                MonitoringJobDefinitionName = definition,
                MonitoringType = "DataQuality",
            },
        });

        var deadline = Environment.TickCount64 + 180_000;
        while (Environment.TickCount64 < deadline)
        {
            var executions = (await studio.CallAsync("ListMonitoringExecutions", new { MonitoringScheduleName = schedule }))["MonitoringExecutionSummaries"]!.AsArray();
            if (executions.Count > 0 && executions[0]!["MonitoringExecutionStatus"]!.GetValue<string>() is "Completed" or "CompletedWithViolations" or "Failed" or "Stopped")
            {
                return new MonitoringData(schedule);
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"no finished execution of {schedule}");
    }

    private static async Task<bool> HasCaptureAsync(ObjectStore objects, string endpoint)
    {
        try
        {
            return (await objects.ListAsync(EndpointData.CaptureBucket, $"capture/{endpoint}/", null, "", 1)).Objects.Count > 0;
        }
        catch (ObjectStoreException)
        {
            return false;
        }
    }
}
