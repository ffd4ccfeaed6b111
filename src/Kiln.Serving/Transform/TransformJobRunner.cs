using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Logs;
using Kiln.Core.Serving;
using Kiln.Core.Tabular;
using Kiln.Core.Training;
using Kiln.Core.Transform;
using Kiln.Serving.Inference;
using Kiln.Serving.Models;
using Microsoft.Extensions.Logging;

namespace Kiln.Serving.Transform;

/// <summary>
/// Runs a batch transform on the job engine: downloads the input, splits each file into records (or keeps it
/// whole), applies the input filter, sends mini-batches to the model (several at once), joins and filters the
/// results and writes <c>{output}/{file}.out</c>, recording progress as it goes.
/// </summary>
public sealed partial class TransformJobRunner(
    ITransformJobStore store,
    IServingStore hosting,
    ModelLoader loader,
    DataUris data,
    ServingWorkspace workspace,
    TimeProvider clock,
    ILogger<TransformJobRunner> logger) : IJobRunner
{
    private static readonly TimeSpan ProgressPeriod = TimeSpan.FromMilliseconds(500);

    private readonly JobLifecycle<TransformJob> _lifecycle = new(TransformJobService.JobKind, store.FindAsync, store.UpdateAsync, clock, logger);

    public string Kind => TransformJobService.JobKind;

    public Task<bool> IsFinishedAsync(string name, CancellationToken ct = default) => _lifecycle.IsFinishedAsync(name, ct);

    public Task RunAsync(JobRun run) => _lifecycle.RunAsync(run, RunAsync);

    private async Task RunAsync(JobAttempt<TransformJob> attempt)
    {
        var job = attempt.Job;
        if (job.StopRequested)
        {
            // Stopped before it began: it gets no log.
            await EndAsync(attempt, TransformJobStatus.Stopped, null).ConfigureAwait(false);
            return;
        }

        var directory = Path.Combine(workspace.TransformDirectory, job.Name, $"attempt-{job.Attempt}");
        using var log = new JobLogWriter(workspace.TransformLogFile(job.Name), clock);
        var options = new JobRunOptions
        {
            HoldsSlot = true,
            Interrupted = () => log.WriteLine("The node is shutting down; the job will resume on restart."),
            ExpectedFailure = e => e is TransformFailedException or KilnException or InvalidDataException or TrainingFailedException or JsonException or PayloadException
                ? $"ClientError: {e.Message}"
                : null,
        };
        try
        {
            await attempt.RunAsync(
                async ct =>
                {
                    await attempt.ChangeAsync(current => current with { TransformStartTime = current.TransformStartTime ?? clock.GetUtcNow() }, ct).ConfigureAwait(false);
                    log.WriteLine($"Transform job {job.Name}, attempt {job.Attempt}: model {job.Spec.ModelName}, input {job.Spec.InputUri}");
                    await TransformAsync(job.Spec, directory, log, ct).ConfigureAwait(false);
                    log.WriteLine($"Completed: output in {job.Spec.OutputPath}");
                    await EndAsync(attempt, TransformJobStatus.Completed, null).ConfigureAwait(false);
                },
                exit =>
                {
                    log.WriteLine(exit switch
                    {
                        { Kind: JobExitKind.Failed, Unexpected: true } => $"Failed inside Kiln: {exit.Error?.Message}",
                        { Kind: JobExitKind.Failed } => $"Failed: {exit.Error?.Message}",
                        _ => "Stopped.",
                    });
                    return EndAsync(attempt, exit.Kind == JobExitKind.Failed ? TransformJobStatus.Failed : TransformJobStatus.Stopped, exit.FailureReason);
                },
                options).ConfigureAwait(false);
        }
        finally
        {
            TryDelete(directory);
        }
    }

    private async Task TransformAsync(TransformJobSpec spec, string directory, JobLogWriter log, CancellationToken ct)
    {
        var model = await hosting.FindModelAsync(spec.ModelName, ct).ConfigureAwait(false)
            ?? throw new TransformFailedException($"Could not find model \"{spec.ModelName}\".");
        var modelDirectory = await loader.PrepareAsync(model, ct).ConfigureAwait(false);
        IServedModel served;
        try
        {
            var concurrency = Math.Min(spec.MaxConcurrentTransforms > 0 ? spec.MaxConcurrentTransforms : Environment.ProcessorCount, Environment.ProcessorCount);
            served = await loader.LoadServedAsync(model, modelDirectory, ct, concurrency).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new TransformFailedException($"The model data of model \"{model.Name}\" could not be loaded: {e.Message}");
        }

        using var modelInUse = served;

        var input = Path.Combine(directory, "input");
        int count;
        try
        {
            count = await data.DownloadAsync(spec.InputUri, input, ct).ConfigureAwait(false);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            throw new TransformFailedException($"No input data at {spec.InputUri} ({e.Message}).");
        }

        if (count == 0)
        {
            throw new TransformFailedException($"No objects found under {spec.InputUri}.");
        }

        var files = Directory.GetFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        log.WriteLine($"Downloaded {files.Count} input file(s)");
        var output = Directory.CreateDirectory(Path.Combine(directory, "output")).FullName;
        var progress = new Progress(files.Count);
        await ReportAsync(spec.Name, progress, ct).ConfigureAwait(false);
        using var reporter = new PeriodicTimer(ProgressPeriod);
        var reporting = ReportPeriodicallyAsync(spec.Name, progress, reporter, ct);
        try
        {
            foreach (var file in files)
            {
                var relative = Path.GetRelativePath(input, file);
                var result = Path.Combine(output, relative + ".out");
                Directory.CreateDirectory(Path.GetDirectoryName(result)!);
                log.WriteLine($"Transforming {relative.Replace('\\', '/')}");
                await TransformFileAsync(spec, served, file, relative, result, progress, ct).ConfigureAwait(false);
                await data.UploadAsync(result, $"{spec.OutputPath.TrimEnd('/')}/{relative.Replace('\\', '/')}.out", ct).ConfigureAwait(false);
                if (spec.DataCaptureUri is { } capture)
                {
                    await CaptureAsync(spec, capture, file, result, relative, log, ct).ConfigureAwait(false);
                }

                progress.FileDone();
            }
        }
        finally
        {
            reporter.Dispose();
            await reporting.ConfigureAwait(false);
        }

        await ReportAsync(spec.Name, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Copies a transformed file and its results under the capture URI's input/ and output/ hour folders, as SageMaker's batch capture does.</summary>
    private async Task CaptureAsync(TransformJobSpec spec, string captureUri, string file, string result, string relative, JobLogWriter log, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var hour = now.ToString("yyyy'/'MM'/'dd'/'HH", CultureInfo.InvariantCulture);
        var name = relative.Replace('\\', '/');
        await data.UploadAsync(file, $"{captureUri.TrimEnd('/')}/input/{hour}/{name}", ct).ConfigureAwait(false);
        var output = result;
        if (spec.DataCaptureGenerateInferenceId)
        {
            output = result + ".capture";
            var records = await CaptureRecordsAsync(spec, file, result, name, now, ct).ConfigureAwait(false);
            if (records is null)
            {
                log.WriteLine($"GenerateInferenceId: {name} does not give one result line per input line (SplitType and AssembleWith must be Line); its output is captured without inference ids.");
                output = result;
            }
            else
            {
                await File.WriteAllLinesAsync(output, records, ct).ConfigureAwait(false);
            }
        }

        await data.UploadAsync(output, $"{captureUri.TrimEnd('/')}/output/{hour}/{name}.out", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// With GenerateInferenceId, each input line and its result line as one data-capture record (the JSON Lines an
    /// endpoint captures), with an inference id of the job, file and line, so ground truth can name the record; null when
    /// the input and result lines do not pair up.
    /// </summary>
    private static async Task<List<string>?> CaptureRecordsAsync(TransformJobSpec spec, string file, string result, string name, DateTimeOffset now, CancellationToken ct)
    {
        if (spec.SplitType != "Line" || spec.AssembleWith != "Line")
        {
            return null;
        }

        var bytes = await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
        if (spec.CompressionType == "Gzip")
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            await gzip.CopyToAsync(plain, ct).ConfigureAwait(false);
            bytes = plain.ToArray();
        }

        var inputs = Payloads.Lines(bytes).Select(line => Encoding.UTF8.GetString(line.Span)).ToList();
        var outputs = Payloads.Lines(await File.ReadAllBytesAsync(result, ct).ConfigureAwait(false)).Select(line => Encoding.UTF8.GetString(line.Span)).ToList();
        if (inputs.Count != outputs.Count)
        {
            return null;
        }

        var time = now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return inputs.Select((input, i) =>
        {
            var id = $"{spec.Name}/{name}/{i + 1}";
            var record = new JsonObject
            {
                ["captureData"] = new JsonObject
                {
                    ["endpointInput"] = CapturePayload(input, spec.ContentType ?? "text/csv", "INPUT"),
                    ["endpointOutput"] = CapturePayload(outputs[i], spec.Accept ?? spec.ContentType ?? "text/csv", "OUTPUT"),
                },
                ["eventMetadata"] = new JsonObject { ["eventId"] = id, ["inferenceId"] = id, ["inferenceTime"] = time },
                ["eventVersion"] = "0",
            };
            return record.ToJsonString();
        }).ToList();
    }

    private static JsonObject CapturePayload(string data, string contentType, string mode) => new()
    {
        ["observedContentType"] = contentType,
        ["mode"] = mode,
        ["data"] = data,
        ["encoding"] = contentType.Contains("json", StringComparison.OrdinalIgnoreCase) ? "JSON" : "CSV",
    };

    private static async Task TransformFileAsync(TransformJobSpec spec, IServedModel model, string file, string relative, string result, Progress progress, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
        if (spec.CompressionType == "Gzip")
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            await gzip.CopyToAsync(plain, ct).ConfigureAwait(false);
            bytes = plain.ToArray();
        }

        var media = Payloads.MediaType(spec.ContentType);
        var records = spec.SplitType == "Line"
            ? Payloads.Lines(bytes).Select(line => Encoding.UTF8.GetString(line.Span)).ToList()
            : [Encoding.UTF8.GetString(bytes)];
        progress.Found(records.Count);
        var inputFilter = spec.InputFilter is { } inFilter ? JsonPathFilter.Parse(inFilter) : null;
        var outputFilter = spec.OutputFilter is { } outFilter ? JsonPathFilter.Parse(outFilter) : null;
        var join = spec.JoinSource == "Input";
        var shaped = inputFilter is null && !join && outputFilter is null;
        var modelInputs = records.Select((record, i) => inputFilter is null ? record : Render(inputFilter.Apply(Parse(record, media, relative, i)), media)).ToList();

        var limit = spec.MaxPayloadInMB <= 0 ? long.MaxValue : spec.MaxPayloadInMB * 1024L * 1024L;
        var batches = Batch(modelInputs, spec.SplitType == "Line" && spec.BatchStrategy == "MultiRecord", limit, relative);
        var outputs = new string?[records.Count];
        var parallel = spec.MaxConcurrentTransforms > 0 ? spec.MaxConcurrentTransforms : Environment.ProcessorCount;
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (batch, token) =>
        {
            token.ThrowIfCancellationRequested();
            var body = Encoding.UTF8.GetBytes(string.Join('\n', batch.Records));
            if (model is PredictorModel { Predictor: var predictor, Output: var output })
            {
                Predict(spec, predictor, output, body, batch, media, outputs, relative);
            }
            else
            {
                await InvokeAsync(spec, model, body, batch, shaped, outputs, relative, token).ConfigureAwait(false);
            }

            progress.RecordsDone(batch.Records.Count);
        }).ConfigureAwait(false);

        var accept = Payloads.MediaType(spec.Accept ?? media);
        var results = shaped ? outputs.OfType<string>() : outputs.Select((output, i) => Shape(records[i], output!, media, accept, join, outputFilter, relative, i));
        var separator = spec.AssembleWith == "Line" ? "\n" : "";
        await File.WriteAllTextAsync(result, string.Join(separator, results) + separator, ct).ConfigureAwait(false);
    }

    /// <summary>A mini-batch through a row model: decoded, predicted and encoded here, one output per record.</summary>
    private static void Predict(TransformJobSpec spec, IPredictor predictor, InferenceOutput? output, byte[] body, MiniBatch batch, string media, string?[] outputs, string relative)
    {
        IReadOnlyList<PredictionRow> predictions;
        try
        {
            predictions = predictor.Predict(Payloads.Decode(body, spec.ContentType));
        }
        catch (Exception e) when (e is PayloadException or InvalidDataException or TrainingFailedException)
        {
            throw new TransformFailedException($"{relative}, record {batch.First + 1}: the model refused the input: {e.Message}");
        }

        if (spec.SplitType != "Line")
        {
            var (whole, _) = Payloads.Encode(predictions, spec.Accept, media, output);
            outputs[batch.First] = Encoding.UTF8.GetString(whole).TrimEnd('\n');
            return;
        }

        var (each, _) = Payloads.EncodeEach(predictions, spec.Accept, media, output);
        if (each.Count != batch.Records.Count)
        {
            throw new TransformFailedException($"{relative}, records {batch.First + 1}–{batch.First + batch.Records.Count}: the model answered {each.Count} predictions for {batch.Records.Count} records.");
        }

        for (var i = 0; i < each.Count; i++)
        {
            outputs[batch.First + i] = each[i];
        }
    }

    /// <summary>
    /// A mini-batch through a model that answers bytes (a framework model's output_fn): its answer is the
    /// batch's output; one line per record when it has as many lines as the batch has records (needed to join
    /// or filter per record), else the whole answer in the batch's place.
    /// </summary>
    private static async Task InvokeAsync(TransformJobSpec spec, IServedModel model, byte[] body, MiniBatch batch, bool shaped, string?[] outputs, string relative, CancellationToken ct)
    {
        ServedAnswer answer;
        try
        {
            answer = await model.InvokeAsync(body, spec.ContentType, spec.Accept, ct).ConfigureAwait(false);
        }
        catch (ModelErrorException e)
        {
            throw new TransformFailedException($"{relative}, record {batch.First + 1}: the model answered an error ({e.Status}): {e.Message}");
        }

        var text = Encoding.UTF8.GetString(answer.Body).TrimEnd('\n');
        var lines = batch.Records.Count == 1 ? [text] : text.Split('\n');
        if (lines.Length == batch.Records.Count)
        {
            lines.CopyTo(outputs, batch.First);
        }
        else if (shaped)
        {
            outputs[batch.First] = text;
        }
        else
        {
            throw new TransformFailedException($"{relative}, records {batch.First + 1}–{batch.First + batch.Records.Count}: the model answered {lines.Length} lines for {batch.Records.Count} records, so they cannot be joined or filtered record by record.");
        }
    }

    /// <summary>Joins a result to its input record (CSV: appended fields; JSON: a SageMakerOutput member) and applies the output filter.</summary>
    private static string Shape(string input, string output, string inputMedia, string outputMedia, bool join, JsonPathFilter? filter, string file, int index)
    {
        var outputNode = Parse(output, outputMedia, file, index);
        JsonNode? joined = outputNode;
        if (join)
        {
            var inputNode = Parse(input, inputMedia, file, index);
            joined = inputNode switch
            {
                JsonObject obj => WithOutput(obj, outputNode),
                JsonArray array => new JsonArray([.. array.Select(node => node?.DeepClone()), .. outputNode is JsonArray values ? values.Select(node => node?.DeepClone()) : [outputNode]]),
                _ => new JsonArray(inputNode, outputNode),
            };
        }

        return Render(filter is null ? joined : filter.Apply(joined), Payloads.IsCsv(outputMedia) && (!join || Payloads.IsCsv(inputMedia)) ? Payloads.Csv : Payloads.Json);
    }

    private static JsonObject WithOutput(JsonObject input, JsonNode? output)
    {
        var copy = (JsonObject)input.DeepClone();
        copy["SageMakerOutput"] = output;
        return copy;
    }

    /// <summary>A record as JSON: a CSV line is the array of its fields (kept as text), a JSON line its value.</summary>
    private static JsonNode? Parse(string record, string media, string file, int index)
    {
        if (Payloads.IsCsv(media))
        {
            try
            {
                return new JsonArray(CsvFields(record).Select(field => (JsonNode?)JsonValue.Create(field)).ToArray());
            }
            catch (CsvFormatException e)
            {
                throw new TransformFailedException($"{file}, record {index + 1}: {e.Message}.");
            }
        }

        try
        {
            return JsonNode.Parse(record);
        }
        catch (JsonException e)
        {
            throw new TransformFailedException($"{file}, record {index + 1}: not valid JSON ({e.Message}).");
        }
    }

    private static string Render(JsonNode? node, string media)
    {
        if (!Payloads.IsCsv(media))
        {
            return node?.ToJsonString() ?? "null";
        }

        return node switch
        {
            JsonArray array => string.Join(',', array.Select(item => CsvField(item))),
            _ => CsvField(node),
        };
    }

    private static string CsvField(JsonNode? node)
    {
        var text = node switch
        {
            null => "",
            JsonValue value when value.TryGetValue<string>(out var s) => s,
            _ => node.ToJsonString(),
        };
        return text.Contains(',', StringComparison.Ordinal) || text.Contains('"', StringComparison.Ordinal) ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
    }

    private static List<string> CsvFields(string record)
    {
        var fields = new List<string>();
        using var csv = CsvReader.FromText(record, ragged: true);
        while (csv.Read())
        {
            fields.AddRange(csv.ToStrings());
        }

        return fields;
    }

    /// <summary>Mini-batches: one record each, or as many consecutive records as fit under the payload limit.</summary>
    private static List<MiniBatch> Batch(List<string> records, bool multiRecord, long limit, string file)
    {
        var batches = new List<MiniBatch>();
        var current = new List<string>();
        var first = 0;
        long size = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var bytes = Encoding.UTF8.GetByteCount(records[i]) + 1;
            if (bytes > limit)
            {
                throw new TransformFailedException($"{file}, record {i + 1}: the record is {bytes} bytes, more than MaxPayloadInMB allows ({limit / (1024 * 1024)} MB).");
            }

            if (current.Count > 0 && (!multiRecord || size + bytes > limit))
            {
                batches.Add(new MiniBatch(first, current));
                current = [];
                first = i;
                size = 0;
            }

            current.Add(records[i]);
            size += bytes;
        }

        if (current.Count > 0)
        {
            batches.Add(new MiniBatch(first, current));
        }

        return batches;
    }

    private async Task ReportPeriodicallyAsync(string name, Progress progress, PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                await ReportAsync(name, progress, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private Task ReportAsync(string name, Progress progress, CancellationToken ct) =>
        store.UpdateAsync(name, current => current.IsFinished ? null : current with { Progress = progress.Snapshot(), LastModifiedTime = clock.GetUtcNow() }, ct);

    private static Task<TransformJob?> EndAsync(JobAttempt<TransformJob> attempt, TransformJobStatus status, string? reason) =>
        attempt.EndAsync((current, now) => current with { Status = status, FailureReason = reason, TransformEndTime = now });

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    private sealed record MiniBatch(int First, List<string> Records);

    private sealed class Progress(int files)
    {
        private int _filesDone;
        private long _found;
        private long _done;

        public void Found(long records) => Interlocked.Add(ref _found, records);

        public void RecordsDone(long records) => Interlocked.Add(ref _done, records);

        public void FileDone() => Interlocked.Increment(ref _filesDone);

        public TransformProgress Snapshot() => new(files, Volatile.Read(ref _filesDone), Interlocked.Read(ref _found), Interlocked.Read(ref _done));
    }

    private sealed class TransformFailedException(string message) : Exception(message);
}
