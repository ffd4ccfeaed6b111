using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>SageMaker's AWS JSON 1.1 dialect: boto3's view of the error paths, plus the raw protocol.</summary>
public sealed class TrainingApiErrorTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private const string Script = "sagemaker_training_errors.py";

    [Theory]
    [InlineData("test_unknown_job_is_resource_not_found")]
    [InlineData("test_bad_name_and_role_are_validation_exceptions")]
    [InlineData("test_unknown_algorithm_is_a_validation_exception")]
    [InlineData("test_list_is_empty_and_pages")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, Script, test);

    private async Task<(HttpStatusCode Status, JsonElement Body, string? ErrorType)> CallAsync(string target, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        if (target.Length > 0)
        {
            request.Headers.Add("X-Amz-Target", target);
        }

        using var response = await server.Mlflow.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response.Headers.TryGetValues("x-amzn-ErrorType", out var type) ? type.First() : null);
    }

    [Fact]
    public async Task Malformed_json_is_a_serialization_exception()
    {
        var (status, body, type) = await CallAsync("SageMaker.DescribeTrainingJob", "{\"TrainingJobName\": ");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("SerializationException", body.GetProperty("__type").GetString());
        Assert.Equal("SerializationException", type);
    }

    [Fact]
    public async Task Wrong_member_type_is_a_serialization_exception()
    {
        var (status, body, _) = await CallAsync("SageMaker.ListTrainingJobs", "{\"MaxResults\": \"ten\"}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("SerializationException", body.GetProperty("__type").GetString());
        Assert.Contains("MaxResults", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_required_member_is_a_validation_exception_naming_it()
    {
        var (status, body, _) = await CallAsync("SageMaker.DescribeTrainingJob", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ValidationException", body.GetProperty("__type").GetString());
        Assert.Equal("1 validation error detected: Value null at 'trainingJobName' failed to satisfy constraint: Member must not be null", body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Out_of_range_and_enum_violations_are_all_reported()
    {
        var (_, body, _) = await CallAsync("SageMaker.ListTrainingJobs", "{\"MaxResults\": 500, \"SortOrder\": \"Sideways\"}");
        var message = body.GetProperty("message").GetString()!;
        Assert.StartsWith("2 validation errors detected: ", message, StringComparison.Ordinal);
        Assert.Contains("Value '500' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100", message, StringComparison.Ordinal);
        Assert.Contains("Member must satisfy enum value set: [Ascending, Descending]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nested_list_members_are_validated_with_their_path()
    {
        var body = """
            {"TrainingJobName": "nested-check", "RoleArn": "arn:aws:iam::123456789012:role/R",
             "AlgorithmSpecification": {"TrainingImage": "x/xgboost:1", "TrainingInputMode": "Sideways"},
             "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "ftp://nope"}}}],
             "OutputDataConfig": {"S3OutputPath": "s3://b/out"}}
            """;
        var (status, response, _) = await CallAsync("SageMaker.CreateTrainingJob", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = response.GetProperty("message").GetString()!;
        Assert.Contains("'algorithmSpecification.trainingInputMode'", message, StringComparison.Ordinal);
        Assert.Contains("'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_operations_and_missing_targets_are_refused()
    {
        var (status, body, _) = await CallAsync("SageMaker.LaunchRocket", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("UnknownOperationException", body.GetProperty("__type").GetString());
        (status, body, _) = await CallAsync("", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("UnknownOperationException", body.GetProperty("__type").GetString());
    }
}
