using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.Cli;

/// <summary>
/// <c>kiln quickstart</c> as a new user runs it: its own server on a fresh data folder, then again on the same
/// folder, and every record it announces checked through the APIs while it keeps serving.
/// </summary>
public sealed partial class QuickstartTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"kiln-quickstart-{Guid.NewGuid():N}");

    [Fact]
    public async Task Quickstart_tracks_trains_a_built_in_model_deploys_it_with_capture_predicts_and_points_at_studio()
    {
        // A first run that stops once done, so the second one below is a rerun on an existing data folder.
        var (firstCode, first) = await Repository.RunAsync("dotnet", [Kiln, "quickstart", "--port", "0", "--data-dir", _dataDirectory, "--exit"], Repository.Root, Timeout);
        Assert.True(firstCode == 0, first);

        var startInfo = new ProcessStartInfo("dotnet", [Kiln, "quickstart", "--port", "0", "--data-dir", _dataDirectory])
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(startInfo)!;
        try
        {
            var output = await ReadUntilServingAsync(process);
            var address = ListeningOn().Match(output).Groups[1].Value;
            Assert.True(address.Length > 0, output);
            using var http = new HttpClient { BaseAddress = new Uri(address + "/") };

            Assert.Contains($"Open Kiln Studio: {address}/", output, StringComparison.Ordinal);
            Assert.Contains("/jobs/training/quickstart-xgboost-", output, StringComparison.Ordinal);
            Assert.Contains("/endpoints/breast-cancer-xgboost#capture-heading", output, StringComparison.Ordinal);

            // Every Studio page quickstart points at opens on the record it names.
            var studioLinks = StudioLink().Matches(output).Select(match => match.Groups["path"].Value).ToList();
            Assert.Equal(5, studioLinks.Count);
            foreach (var path in studioLinks)
            {
                using var page = await http.GetAsync(path.Split('#')[0].TrimStart('/'));
                Assert.True(page.IsSuccessStatusCode, $"{path}: {(int)page.StatusCode}");
            }

            var jobName = JobName().Match(output).Value;
            var job = await SageMakerAsync(http, "DescribeTrainingJob", new { TrainingJobName = jobName });
            Assert.Equal("Completed", job.GetProperty("TrainingJobStatus").GetString());
            Assert.Equal("xgboost", job.GetProperty("AlgorithmSpecification").GetProperty("TrainingImage").GetString());

            var endpoint = await SageMakerAsync(http, "DescribeEndpoint", new { EndpointName = "breast-cancer-xgboost" });
            Assert.Equal("InService", endpoint.GetProperty("EndpointStatus").GetString());
            var config = await SageMakerAsync(http, "DescribeEndpointConfig", new { EndpointConfigName = endpoint.GetProperty("EndpointConfigName").GetString() });
            Assert.Equal(jobName, config.GetProperty("ProductionVariants")[0].GetProperty("ModelName").GetString());
            Assert.Equal(100, config.GetProperty("DataCaptureConfig").GetProperty("InitialSamplingPercentage").GetInt32());

            // Each printed prediction is what the endpoint answers for that row of the bundled data.
            var rows = File.ReadAllLines(Repository.Path("samples", "data", "breast_cancer.csv")).Skip(1).ToArray();
            var printed = PredictionRow().Matches(output).ToList();
            Assert.True(printed.Count >= 4, output);
            var captured = await CapturedLinesAsync(http);
            foreach (var row in printed)
            {
                var cells = rows[int.Parse(row.Groups["row"].Value, CultureInfo.InvariantCulture) - 1];
                var features = cells[..cells.LastIndexOf(',')];
                Assert.Equal(cells[(cells.LastIndexOf(',') + 1)..], row.Groups["truth"].Value);
                var answer = (await InvokeAsync(http, features)).GetProperty("predictions")[0];
                var score = answer.GetProperty("score").GetDouble();
                Assert.Equal(answer.GetProperty("predicted_label").GetString(), row.Groups["predicted"].Value);
                Assert.Equal((score >= 0.5 ? score : 1 - score).ToString("P1", CultureInfo.InvariantCulture), row.Groups["probability"].Value);
                Assert.Contains(captured, line => line.Contains(features, StringComparison.Ordinal));
            }

            // The model is right on nearly every held-out row shown.
            Assert.True(printed.Count(row => row.Groups["truth"].Value == row.Groups["predicted"].Value) >= printed.Count - 1, output);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Kiln => Path.Combine(AppContext.BaseDirectory, "kiln.dll");

    /// <summary>Reads the quickstart's output until it says it keeps serving (it never exits on its own).</summary>
    private static async Task<string> ReadUntilServingAsync(Process process)
    {
        var output = new StringBuilder();
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cancel.Token) is { } line)
            {
                output.AppendLine(line);
                if (line.Contains("Kiln keeps serving", StringComparison.Ordinal))
                {
                    return output.ToString();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        process.Kill(entireProcessTree: true);
        Assert.Fail($"The quickstart did not reach serving:\n{output}\n{await errors}");
        return "";
    }

    private static async Task<JsonElement> SageMakerAsync(HttpClient http, string operation, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/x-amz-json-1.1"),
        };
        request.Headers.Add("X-Amz-Target", "SageMaker." + operation);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{operation}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> InvokeAsync(HttpClient http, string csv)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "endpoints/breast-cancer-xgboost/invocations") { Content = new StringContent(csv, Encoding.UTF8, "text/csv") };
        request.Headers.Add("Accept", "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Every JSON line captured for the endpoint, read back through the S3 API.</summary>
    private static async Task<List<string>> CapturedLinesAsync(HttpClient http)
    {
        using var list = S3Request(HttpMethod.Get, "kiln-quickstart?list-type=2&prefix=capture/breast-cancer-xgboost/AllTraffic/");
        using var listed = await http.SendAsync(list);
        var xml = await listed.Content.ReadAsStringAsync();
        Assert.True(listed.IsSuccessStatusCode, xml);
        var keys = ObjectKey().Matches(xml).Select(match => match.Groups[1].Value).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.EndsWith(".jsonl", key, StringComparison.Ordinal));

        var lines = new List<string>();
        foreach (var key in keys)
        {
            using var get = S3Request(HttpMethod.Get, "kiln-quickstart/" + key);
            using var got = await http.SendAsync(get);
            lines.AddRange((await got.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        return lines;
    }

    private static HttpRequestMessage S3Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=unsigned");
        return request;
    }

    [GeneratedRegex(@"Kiln is listening on (http://[^\s]+)")]
    private static partial Regex ListeningOn();

    [GeneratedRegex(@"quickstart-xgboost-\d{8}-\d{6}")]
    private static partial Regex JobName();

    [GeneratedRegex(@"│\s*(?<row>\d+)\s*│\s*(?<truth>[BM])\s*│\s*(?<predicted>[BM])\s*│\s*(?<probability>[\d.]+ ?%)\s*│")]
    private static partial Regex PredictionRow();

    [GeneratedRegex(@"^  (?:Run|Registered model|Training job|Endpoint|Captured data)\s+https?://\S+?(?<path>/\S+)$", RegexOptions.Multiline)]
    private static partial Regex StudioLink();

    [GeneratedRegex(@"<Key>([^<]+)</Key>")]
    private static partial Regex ObjectKey();
}
