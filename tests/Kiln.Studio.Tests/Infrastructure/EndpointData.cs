using System.Text.Json.Nodes;

namespace Kiln.Studio.Tests.Infrastructure;

/// <summary>
/// The endpoint the endpoint pages look at: xgboost trained on the bundled breast-cancer CSV, deployed as two
/// production variants (blue, green) and a shadow, with data capture on, through the SageMaker API.
/// </summary>
public sealed record EndpointData(string Endpoint, string Row, string Model)
{
    public const string CaptureBucket = "studio-capture";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static EndpointData? _seeded;

    public static async Task<EndpointData> SeedAsync(StudioFixture studio)
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

    private static async Task<EndpointData> CreateAsync(StudioFixture studio)
    {
        var csv = SageMakerCalls.RepositoryFile("samples", "data", "breast_cancer.csv");
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var job = "studio-xgb-" + suffix;
        await studio.CallAsync("CreateTrainingJob", new
        {
            TrainingJobName = job,
            RoleArn = SageMakerCalls.Role,
            AlgorithmSpecification = new { TrainingImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", TrainingInputMode = "File" },
            HyperParameters = new Dictionary<string, string> { ["objective"] = "binary:logistic", ["num_round"] = "10", ["target_column"] = "diagnosis" },
            InputDataConfig = new[] { new { ChannelName = "train", ContentType = "text/csv;header=present", DataSource = new { S3DataSource = new { S3DataType = "S3Prefix", S3Uri = new Uri(csv).AbsoluteUri } } } },
            OutputDataConfig = new { S3OutputPath = new Uri(Path.Combine(studio.DataDirectory, "training-output")).AbsoluteUri },
            ResourceConfig = new { InstanceType = "ml.m5.large", InstanceCount = 1, VolumeSizeInGB = 1 },
            StoppingCondition = new { MaxRuntimeInSeconds = 600 },
        });
        var trained = await studio.WaitAsync("DescribeTrainingJob", new { TrainingJobName = job }, "TrainingJobStatus", "InProgress", "Stopping");
        Assert.True(trained["TrainingJobStatus"]!.GetValue<string>() == "Completed", trained.ToJsonString());
        var model = "studio-model-" + suffix;
        await studio.CallAsync("CreateModel", new
        {
            ModelName = model,
            ExecutionRoleArn = SageMakerCalls.Role,
            PrimaryContainer = new { Image = "xgboost", ModelDataUrl = trained["ModelArtifacts"]!["S3ModelArtifacts"]!.GetValue<string>() },
        });

        var endpoint = "studio-ep-" + suffix;
        object Variant(string name, int count) => new { VariantName = name, ModelName = model, InitialInstanceCount = count, InstanceType = "ml.m5.large", InitialVariantWeight = 1.0 };
        await studio.CallAsync("CreateEndpointConfig", new
        {
            EndpointConfigName = endpoint + "-config",
            ProductionVariants = new[] { Variant("blue", 1), Variant("green", 2) },
            ShadowProductionVariants = new[] { Variant("shadow", 1) },
            DataCaptureConfig = new
            {
                EnableCapture = true,
                InitialSamplingPercentage = 100,
                DestinationS3Uri = $"s3://{CaptureBucket}/capture",
                CaptureOptions = new[] { new { CaptureMode = "Input" }, new { CaptureMode = "Output" } },
            },
        });
        await studio.CallAsync("CreateEndpoint", new { EndpointName = endpoint, EndpointConfigName = endpoint + "-config" });
        JsonObject created = await studio.WaitAsync("DescribeEndpoint", new { EndpointName = endpoint }, "EndpointStatus", "Creating");
        Assert.True(created["EndpointStatus"]!.GetValue<string>() == "InService", created.ToJsonString());

        var row = string.Join(',', File.ReadLines(csv).Skip(1).First().Split(',')[..^1]);
        return new EndpointData(endpoint, row, model);
    }
}
