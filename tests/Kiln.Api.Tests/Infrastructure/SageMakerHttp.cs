using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>Raw SageMaker calls (AWS JSON 1.1: POST / with X-Amz-Target) and invocations, for tests that need many fast requests.</summary>
public sealed class SageMakerHttp(Uri baseAddress) : IDisposable
{
    public const string Role = "arn:aws:iam::123456789012:role/KilnTests";

    public HttpClient Http { get; } = new() { BaseAddress = baseAddress };

    public Task<JsonObject> CallAsync(string operation, object body) => CallAsync("SageMaker", operation, body);

    /// <summary>A CloudWatch Logs call (the same AWS JSON 1.1 protocol on the same port).</summary>
    public Task<JsonObject> CallLogsAsync(string operation, object body) => CallAsync("Logs_20140328", operation, body);

    private async Task<JsonObject> CallAsync(string service, string operation, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/x-amz-json-1.1"),
        };
        request.Headers.Add("X-Amz-Target", service + "." + operation);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{operation} failed ({(int)response.StatusCode}): {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Trains the built-in xgboost on the bundled breast-cancer CSV (header row, target "diagnosis") from a file:// channel.</summary>
    public async Task<string> TrainBreastCancerAsync(string name, string outputDirectory)
    {
        var data = new Uri(Repository.Path("samples", "data", "breast_cancer.csv")).AbsoluteUri;
        await CallAsync("CreateTrainingJob", new
        {
            TrainingJobName = name,
            RoleArn = Role,
            AlgorithmSpecification = new { TrainingImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", TrainingInputMode = "File" },
            HyperParameters = new Dictionary<string, string> { ["objective"] = "binary:logistic", ["num_round"] = "20", ["target_column"] = "diagnosis" },
            InputDataConfig = new[] { new { ChannelName = "train", ContentType = "text/csv;header=present", DataSource = new { S3DataSource = new { S3DataType = "S3Prefix", S3Uri = data } } } },
            OutputDataConfig = new { S3OutputPath = new Uri(outputDirectory).AbsoluteUri },
            ResourceConfig = new { InstanceType = "ml.m5.large", InstanceCount = 1, VolumeSizeInGB = 1 },
            StoppingCondition = new { MaxRuntimeInSeconds = 600 },
        });
        var job = await WaitAsync("DescribeTrainingJob", new { TrainingJobName = name }, "TrainingJobStatus", "InProgress", "Stopping");
        Assert.True(job["TrainingJobStatus"]!.GetValue<string>() == "Completed", job.ToJsonString());
        return job["ModelArtifacts"]!["S3ModelArtifacts"]!.GetValue<string>();
    }

    /// <summary>Polls a Describe operation until its status leaves the given in-progress values.</summary>
    public async Task<JsonObject> WaitAsync(string operation, object body, string statusMember, params string[] inProgress)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var described = await CallAsync(operation, body);
            if (!inProgress.Contains(described[statusMember]!.GetValue<string>()) || DateTime.UtcNow > deadline)
            {
                return described;
            }

            await Task.Delay(200);
        }
    }

    /// <summary>One invocation: the invoked variant and the inference id Kiln answered with.</summary>
    public async Task<(string Variant, string InferenceId, string Body)> InvokeAsync(string endpoint, string csv)
    {
        using var content = new StringContent(csv, Encoding.UTF8, "text/csv");
        using var response = await Http.PostAsync($"endpoints/{endpoint}/invocations", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"invocation failed ({(int)response.StatusCode}): {body}");
        return (response.Headers.GetValues("x-Amzn-Invoked-Production-Variant").Single(), response.Headers.GetValues("X-Amzn-SageMaker-Inference-Id").Single(), body);
    }

    public void Dispose() => Http.Dispose();
}
