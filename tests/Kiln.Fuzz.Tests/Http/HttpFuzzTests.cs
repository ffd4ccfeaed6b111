using System.Net;
using System.Text.Json;
using CsCheck;
using Kiln.Fuzz.Tests.Infrastructure;
using Kiln.Fuzz.Tests.Parsers;

namespace Kiln.Fuzz.Tests.Http;

/// <summary>
/// Fuzzed requests against a real server: every answer comes in time and is not a 5xx, the server still answers
/// its health check afterwards, and a record stored before the fuzzing reads the same after it.
/// </summary>
public class HttpFuzzTests(FuzzServer server) : IClassFixture<FuzzServer>
{
    private const string Role = "arn:aws:iam::123456789012:role/KilnFuzz";

    private static long Iterations(long ciDefault) => Fuzzing.Iterations(ciDefault, share: 0.1);

    private void Sample(Gen<string> gen, long ciIterations, Action<string> send) =>
        gen.Sample(send, iter: Iterations(ciIterations), threads: 1, print: text => text.Length > 2000 ? text[..2000] + "…" : text);

    [Fact]
    public void Mlflow_searches_answer_without_server_errors()
    {
        var experimentId = Json(server.Mlflow(HttpMethod.Post, "experiments/create", """{"name":"fuzz-tracking"}""")).GetProperty("experiment_id").GetString()!;
        var runId = Json(server.Mlflow(HttpMethod.Post, "runs/create", $$"""{"experiment_id":"{{experimentId}}","run_name":"kept"}""")).GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
        server.Mlflow(HttpMethod.Post, "runs/log-metric", $$"""{"run_id":"{{runId}}","key":"acc","value":0.9,"timestamp":1,"step":0}""");
        server.Mlflow(HttpMethod.Post, "runs/log-parameter", $$"""{"run_id":"{{runId}}","key":"lr","value":"0.1"}""");
        server.Mlflow(HttpMethod.Post, "runs/set-tag", $$"""{"run_id":"{{runId}}","key":"team","value":"ml"}""");
        server.Mlflow(HttpMethod.Post, "registered-models/create", """{"name":"fuzz-model"}""");
        var before = server.Mlflow(HttpMethod.Get, $"runs/get?run_id={runId}");

        Sample(HttpFuzzGrammar.RunsSearch(experimentId), 150, body => server.Mlflow(HttpMethod.Post, "runs/search", body));
        Sample(HttpFuzzGrammar.ExperimentsSearch, 80, body => server.Mlflow(HttpMethod.Post, "experiments/search", body));
        Sample(HttpFuzzGrammar.RegistrySearchQuery, 80, query => server.Mlflow(HttpMethod.Get, "registered-models/search?" + query));
        Sample(HttpFuzzGrammar.RegistrySearchQuery, 50, query => server.Mlflow(HttpMethod.Get, "model-versions/search?" + query));

        server.AssertHealthy();
        Assert.Equal(before, server.Mlflow(HttpMethod.Get, $"runs/get?run_id={runId}"));
    }

    [Fact]
    public void SageMaker_search_and_lists_answer_without_server_errors()
    {
        server.SageMaker("CreateExperiment", """{"ExperimentName":"fuzz-experiment","Tags":[{"Key":"team","Value":"ml"}]}""");
        var before = server.SageMaker("DescribeExperiment", """{"ExperimentName":"fuzz-experiment"}""");

        Sample(HttpFuzzGrammar.Search, 150, body => server.SageMaker("Search", body));
        Sample(Gen.Select(HttpFuzzGrammar.ListOperation, HttpFuzzGrammar.List, (operation, body) => operation + " " + body), 150, call => server.SageMaker(call[..call.IndexOf(' ')], call[(call.IndexOf(' ') + 1)..]));

        server.AssertHealthy();
        Assert.Equal(before, server.SageMaker("DescribeExperiment", """{"ExperimentName":"fuzz-experiment"}"""));
    }

    [Fact]
    public void CreatePipeline_answers_without_server_errors()
    {
        var created = server.SageMaker("CreatePipeline", JsonSerializer.Serialize(new { PipelineName = "fuzz-kept", PipelineDefinition = """{"Version":"2020-12-01","Steps":[{"Name":"Stop","Type":"Fail","Arguments":{"ErrorMessage":"kept"}}]}""", RoleArn = Role, ClientRequestToken = "kept-token-0000000000000000000000000" }));
        Assert.True(created.Status == HttpStatusCode.OK, created.Body);
        var before = server.SageMaker("DescribePipeline", """{"PipelineName":"fuzz-kept"}""");

        Sample(HttpFuzzGrammar.CreatePipeline(Role), 150, body => server.SageMaker("CreatePipeline", body));

        server.AssertHealthy();
        Assert.Equal(before, server.SageMaker("DescribePipeline", """{"PipelineName":"fuzz-kept"}"""));
    }

    [Fact]
    public void S3_xml_and_aws_chunked_bodies_answer_without_server_errors()
    {
        Assert.Equal(HttpStatusCode.OK, server.S3(HttpMethod.Put, "fuzz-bucket").Status);
        Assert.Equal(HttpStatusCode.OK, server.S3(HttpMethod.Put, "fuzz-bucket/kept-object", new StringContent("kept contents")).Status);
        var upload = server.S3(HttpMethod.Post, "fuzz-bucket/multi?uploads");
        var uploadId = System.Xml.Linq.XDocument.Parse(upload.Body).Root!.Elements().Single(e => e.Name.LocalName == "UploadId").Value;

        Sample(S3BodyGrammar.XmlBytes.Select(Convert.ToBase64String), 100, body => server.S3(HttpMethod.Post, "fuzz-bucket?delete", Bytes(body)));
        Sample(S3BodyGrammar.XmlBytes.Select(Convert.ToBase64String), 100, body => server.S3(HttpMethod.Post, $"fuzz-bucket/multi?uploadId={uploadId}", Bytes(body)));
        S3BodyGrammar.AnyChunked.Sample(
            input =>
            {
                var content = new ByteArrayContent(input.Body);
                content.Headers.ContentEncoding.Add("aws-chunked");
                var headers = new List<(string, string)> { ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER") };
                if (input.Declared is { } declared)
                {
                    headers.Add(("x-amz-decoded-content-length", declared.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }

                server.S3(HttpMethod.Put, "fuzz-bucket/chunked", content, [.. headers]);
            },
            iter: Iterations(150),
            threads: 1);

        server.AssertHealthy();
        var kept = server.S3(HttpMethod.Get, "fuzz-bucket/kept-object");
        Assert.Equal((HttpStatusCode.OK, "kept contents"), kept);
    }

    private static ByteArrayContent Bytes(string base64) => new(Convert.FromBase64String(base64));

    private static JsonElement Json((HttpStatusCode Status, string Body) answer)
    {
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body);
        return JsonDocument.Parse(answer.Body).RootElement;
    }
}
