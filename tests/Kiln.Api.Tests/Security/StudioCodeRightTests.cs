using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Core.Pipelines;
using Kiln.Pipelines;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Api.Tests.Security;

/// <summary>Studio's buttons that run a job again go through the code right, as the SageMaker calls do (RetryPipelineExecution: tests/clients/boto3/code_right.py).</summary>
public sealed partial class StudioCodeRightTests(AuthServerFixture server) : IClassFixture<AuthServerFixture>
{
    private const string TokenField = "__RequestVerificationToken";

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [Fact]
    public async Task Retrying_a_pipeline_that_runs_a_command_needs_the_code_right()
    {
        var pipelines = server.Services.GetRequiredService<PipelineService>();
        var definition = JsonSerializer.Serialize(new
        {
            Version = "2020-12-01",
            Steps = new[]
            {
                new
                {
                    Name = "Fails",
                    Type = "Processing",
                    Arguments = new
                    {
                        ProcessingResources = new { ClusterConfig = new { InstanceCount = 1, InstanceType = "ml.m5.large", VolumeSizeInGB = 1 } },
                        AppSpecification = new { ImageUri = "kiln/script", ContainerEntrypoint = new[] { "python3", "-c", "raise SystemExit(3)" } },
                        RoleArn = "arn:aws:iam::000000000000:role/kiln",
                    },
                },
            },
        });
        await pipelines.CreateAsync("studio-code-right", null, null, definition, null, [], "test");
        var execution = await pipelines.StartAsync("studio-code-right", null, null, [], "test", "us-east-1");
        await WaitUntilEndedAsync(pipelines, execution.Id);
        var page = $"/pipelines/studio-code-right/executions/{Uri.EscapeDataString(execution.Id)}";

        var reader = Browser();
        await LogInAsync(reader, server.Reader.User.Name, server.Reader.SecretAccessKey);
        using var refused = await RetryAsync(reader, page, execution.Id);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        var location = Uri.UnescapeDataString(refused.Headers.Location!.OriginalString);
        Assert.StartsWith(page + "?error=", location, StringComparison.Ordinal);
        Assert.Contains("User 'reader.one' is not allowed to run code", location, StringComparison.Ordinal);
        Assert.Contains("step 'Fails'", location, StringComparison.Ordinal);
        Assert.Equal(PipelineExecutionStatus.Failed, (await pipelines.DescribeExecutionAsync(execution.Id)).Status);

        // RetryPipelineExecution over SageMaker refuses the same user the same way (boto3, signed with their key).
        await Boto3.RunAsync(server.BaseAddress, "code_right.py", "test_retrying_a_script_pipeline_is_refused", TimeSpan.FromMinutes(2),
            server.Reader.User.AccessKeyId, server.Reader.SecretAccessKey);
        Assert.Equal(PipelineExecutionStatus.Failed, (await pipelines.DescribeExecutionAsync(execution.Id)).Status);

        var coder = Browser();
        await LogInAsync(coder, server.Coder.User.Name, server.Coder.SecretAccessKey);
        using var retried = await RetryAsync(coder, page, execution.Id);
        Assert.Equal(HttpStatusCode.Redirect, retried.StatusCode);
        Assert.Equal(page + "?done=retry", retried.Headers.Location!.OriginalString);
        var after = await pipelines.DescribeExecutionAsync(execution.Id);
        Assert.True(after.Status != PipelineExecutionStatus.Failed || after.PriorAttempts.GetValueOrDefault("Fails") >= 1, $"not retried: {after.Status}");
    }

    private static async Task WaitUntilEndedAsync(PipelineService pipelines, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await pipelines.DescribeExecutionAsync(id)).Status is not (PipelineExecutionStatus.Failed or PipelineExecutionStatus.Stopped))
        {
            Assert.True(DateTime.UtcNow < deadline, "the execution did not fail in time");
            await Task.Delay(200);
        }
    }

    private HttpClient Browser() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };

    private static async Task<string> TokenAsync(HttpClient http, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = TokenPattern().Match(await response.Content.ReadAsStringAsync()).Groups[1].Value;
        Assert.NotEmpty(token);
        return WebUtility.HtmlDecode(token);
    }

    private static async Task LogInAsync(HttpClient http, string name, string secret)
    {
        var token = await TokenAsync(http, "login?returnUrl=%2F");
        using var response = await http.PostAsync("studio/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [TokenField] = token,
            ["userName"] = name,
            ["secret"] = secret,
            ["returnUrl"] = "/",
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    private static async Task<HttpResponseMessage> RetryAsync(HttpClient http, string page, string id)
    {
        var token = await TokenAsync(http, page);
        return await http.PostAsync($"studio/pipeline-executions/{Uri.EscapeDataString(id)}/retry",
            new FormUrlEncodedContent(new Dictionary<string, string> { [TokenField] = token }));
    }
}
