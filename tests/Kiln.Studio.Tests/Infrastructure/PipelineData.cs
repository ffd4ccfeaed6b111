using System.Text.Json;

namespace Kiln.Studio.Tests.Infrastructure;

/// <summary>
/// A small pipeline run twice through the SageMaker API: Train (xgboost, cached) → MakeModel (reads Train's model
/// artifacts) → Halt (a Fail step that DependsOn MakeModel), so both executions end Failed and the second one's Train
/// is a cache hit of the first's.
/// </summary>
public sealed record PipelineData(string Pipeline, string FirstExecution, string SecondExecution)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PipelineData? _seeded;

    public static async Task<PipelineData> SeedAsync(StudioFixture studio)
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

    private static async Task<PipelineData> CreateAsync(StudioFixture studio)
    {
        var csv = SageMakerCalls.RepositoryFile("samples", "data", "breast_cancer.csv");
        var name = "studio-pipe-" + Guid.NewGuid().ToString("N")[..6];
        var definition = new
        {
            Version = "2020-12-01",
            Parameters = new[] { new { Name = "Rounds", Type = "String", DefaultValue = "5" } },
            Steps = new object[]
            {
                new
                {
                    Name = "Train",
                    Type = "Training",
                    CacheConfig = new { Enabled = true, ExpireAfter = "P30D" },
                    Arguments = new
                    {
                        RoleArn = SageMakerCalls.Role,
                        AlgorithmSpecification = new { TrainingImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", TrainingInputMode = "File" },
                        HyperParameters = new Dictionary<string, object> { ["objective"] = "binary:logistic", ["num_round"] = new { Get = "Parameters.Rounds" }, ["target_column"] = "diagnosis" },
                        InputDataConfig = new[] { new { ChannelName = "train", ContentType = "text/csv;header=present", DataSource = new { S3DataSource = new { S3DataType = "S3Prefix", S3Uri = new Uri(csv).AbsoluteUri } } } },
                        OutputDataConfig = new { S3OutputPath = new Uri(Path.Combine(studio.DataDirectory, "pipeline-output")).AbsoluteUri },
                        ResourceConfig = new { InstanceType = "ml.m5.large", InstanceCount = 1, VolumeSizeInGB = 1 },
                        StoppingCondition = new { MaxRuntimeInSeconds = 600 },
                    },
                },
                new
                {
                    Name = "MakeModel",
                    Type = "Model",
                    Arguments = new
                    {
                        ExecutionRoleArn = SageMakerCalls.Role,
                        PrimaryContainer = new { Image = "xgboost", ModelDataUrl = new { Get = "Steps.Train.ModelArtifacts.S3ModelArtifacts" } },
                    },
                },
                new { Name = "Halt", Type = "Fail", DependsOn = new[] { "MakeModel" }, Arguments = new { ErrorMessage = "Stopped on purpose after the model step" } },
            },
        };
        await studio.CallAsync("CreatePipeline", new
        {
            PipelineName = name,
            PipelineDefinition = JsonSerializer.Serialize(definition),
            RoleArn = SageMakerCalls.Role,
            ClientRequestToken = Guid.NewGuid().ToString("N"),
        });
        var first = await RunAsync(studio, name);
        var second = await RunAsync(studio, name);
        return new PipelineData(name, first, second);
    }

    /// <summary>Starts an execution and waits for it to end; returns its id (the last part of its ARN).</summary>
    public static async Task<string> RunAsync(StudioFixture studio, string pipeline)
    {
        var started = await studio.CallAsync("StartPipelineExecution", new { PipelineName = pipeline, ClientRequestToken = Guid.NewGuid().ToString("N") });
        var arn = started["PipelineExecutionArn"]!.GetValue<string>();
        var ended = await studio.WaitAsync("DescribePipelineExecution", new { PipelineExecutionArn = arn }, "PipelineExecutionStatus", "Executing", "Stopping");
        Assert.True(ended["PipelineExecutionStatus"]!.GetValue<string>() == "Failed", ended.ToJsonString());
        return arn[(arn.LastIndexOf('/') + 1)..];
    }
}
