using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>The processing shapes are generated from botocore's model: their constraints reach the wire as AWS words them.</summary>
public sealed class ProcessingShapeTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private async Task<(HttpStatusCode Status, string? Type, string? Message)> CallAsync(string operation, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.Add("X-Amz-Target", "SageMaker." + operation);
        using var response = await server.Mlflow.Http.SendAsync(request);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (response.StatusCode,
            json.TryGetProperty("__type", out var type) ? type.GetString() : null,
            json.TryGetProperty("message", out var message) ? message.GetString() : null);
    }

    [Fact]
    public async Task Enum_and_pattern_of_nested_members_are_checked_and_nothing_is_created()
    {
        var (status, type, message) = await CallAsync("CreateProcessingJob", """
            {"ProcessingJobName": "shape-bad", "RoleArn": "arn:aws:iam::123456789012:role/KilnTests", "AppSpecification": {"ImageUri": "x"},
             "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.nope.large", "VolumeSizeInGB": 1}},
             "NetworkConfig": {"VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet_1!"]}}}
            """);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ValidationException", type);
        Assert.StartsWith("2 validation errors detected: Value 'ml.nope.large' at 'processingResources.clusterConfig.instanceType' failed to satisfy constraint: Member must satisfy enum value set: [ml.t3.medium, ", message, StringComparison.Ordinal);
        Assert.EndsWith("; Value 'subnet_1!' at 'networkConfig.vpcConfig.subnets.1.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [-0-9a-zA-Z]+", message, StringComparison.Ordinal);
        var (describeStatus, describeType, _) = await CallAsync("DescribeProcessingJob", """{"ProcessingJobName": "shape-bad"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "ResourceNotFound"), (describeStatus, describeType));
    }

    [Fact]
    public async Task Ranges_and_required_members_of_nested_shapes_are_named_in_model_order()
    {
        var (status, type, message) = await CallAsync("CreateProcessingJob", """
            {"ProcessingJobName": "shape-missing", "RoleArn": "arn:aws:iam::123456789012:role/KilnTests", "AppSpecification": {},
             "ProcessingResources": {"ClusterConfig": {"InstanceCount": 0, "InstanceType": "ml.m5.large"}}}
            """);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ValidationException", type);
        Assert.Equal(
            "3 validation errors detected: "
            + "Value '0' at 'processingResources.clusterConfig.instanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1; "
            + "Value null at 'processingResources.clusterConfig.volumeSizeInGB' failed to satisfy constraint: Member must not be null; "
            + "Value null at 'appSpecification.imageUri' failed to satisfy constraint: Member must not be null",
            message);
    }

    [Fact]
    public async Task List_filters_take_the_model_enums()
    {
        var (status, type, message) = await CallAsync("ListProcessingJobs", """{"StatusEquals": "Done", "SortBy": "Size"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ValidationException", type);
        Assert.Equal(
            "2 validation errors detected: "
            + "Value 'Done' at 'statusEquals' failed to satisfy constraint: Member must satisfy enum value set: [InProgress, Completed, Failed, Stopping, Stopped]; "
            + "Value 'Size' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [Name, CreationTime, Status]",
            message);
    }
}
