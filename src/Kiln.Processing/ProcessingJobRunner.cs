using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Lineage;
using Kiln.Core.Logs;
using Kiln.Core.Processing;
using Kiln.Training.Containers;
using Kiln.Training.ScriptMode;
using Microsoft.Extensions.Logging;

namespace Kiln.Processing;

/// <summary>
/// Runs a processing job under SageMaker's processing container contract: each input downloaded into its
/// LocalPath under <c>/opt/ml/processing</c>, the config in <c>/opt/ml/config</c>, the entrypoint run with its
/// arguments, each output folder uploaded when the command exits 0. Kiln runs the command on the host, so
/// the container's <c>/opt/ml</c> is a folder of the attempt, and arguments and environment values naming
/// <c>/opt/ml/…</c> paths are pointed into it.
/// </summary>
public sealed partial class ProcessingJobRunner(
    IProcessingJobStore store,
    DataUris data,
    ProcessingWorkspace workspace,
    ScriptModeOptions options,
    TimeProvider clock,
    ILogger<ProcessingJobRunner> logger,
    IEnumerable<IBuiltInProcessor> builtIns,
    ILineageRecorder? lineage = null) : IJobRunner
{
    private static readonly string[] Hosts = ["algo-1"];

    private readonly JobLifecycle<ProcessingJob> _lifecycle = new(ProcessingJobService.JobKind, store.FindAsync, store.UpdateAsync, clock, logger);

    public string Kind => ProcessingJobService.JobKind;

    public Task<bool> IsFinishedAsync(string name, CancellationToken ct = default) => _lifecycle.IsFinishedAsync(name, ct);

    public Task RunAsync(JobRun run) => _lifecycle.RunAsync(run, RunAsync);

    private async Task RunAsync(JobAttempt<ProcessingJob> attempt)
    {
        var job = attempt.Job;
        var options = new JobRunOptions
        {
            EndIfStoppedBeforeStart = true,
            HoldsSlot = true,
            MaxRuntime = TimeSpan.FromSeconds(job.Spec.MaxRuntimeInSeconds),
            ExpectedFailure = e => e switch
            {
                KilnException => $"ClientError: {e.Message}",
                ProcessingFailedException => e.Message,
                _ => null,
            },
        };
        await attempt.RunAsync(ct => ProcessAsync(attempt, ct), exit => exit.Kind switch
        {
            JobExitKind.RuntimeExceeded => EndAsync(attempt, ProcessingJobStatus.Stopped, $"Processing job runtime exceeded MaxRuntimeInSeconds provided ({job.Spec.MaxRuntimeInSeconds} s)"),
            JobExitKind.Failed => EndAsync(attempt, ProcessingJobStatus.Failed, exit.FailureReason),
            _ => EndAsync(attempt, ProcessingJobStatus.Stopped, null),
        }, options).ConfigureAwait(false);
    }

    private async Task ProcessAsync(JobAttempt<ProcessingJob> attempt, CancellationToken ct)
    {
        var job = attempt.Job;
        await attempt.ChangeAsync(current => current with { ProcessingStartTime = current.ProcessingStartTime ?? clock.GetUtcNow() }, ct).ConfigureAwait(false);
        var container = new ContainerRoot(Path.Combine(workspace.JobDirectory(job.Name), $"attempt-{job.Attempt}", "root"));
        if (Directory.Exists(container.HostRoot))
        {
            Directory.Delete(container.HostRoot, recursive: true);
        }

        var hashes = await DownloadInputsAsync(job.Spec, container, ct).ConfigureAwait(false);
        await attempt.ChangeAsync(current => current with { InputHashes = hashes }, ct).ConfigureAwait(false);
        foreach (var output in job.Spec.Outputs)
        {
            Directory.CreateDirectory(container.Host(output.LocalPath));
        }

        WriteConfig(job.Spec, container);
        var exit = await RunCommandAsync(job, container, ct).ConfigureAwait(false);
        var message = ReadExitMessage(container);
        if (exit.ExitCode != 0)
        {
            var reason = $"AlgorithmError: the command exited with code {exit.ExitCode}" +
                (message is not null ? $": {message}" : exit.LastErrors.Count > 0 ? ": " + string.Join(" | ", exit.LastErrors) : "");
            await EndAsync(attempt, ProcessingJobStatus.Failed, JobFailure.Truncate(reason), message).ConfigureAwait(false);
            return;
        }

        await UploadOutputsAsync(job.Spec, container, ct).ConfigureAwait(false);
        await RecordLineageAsync(job.Spec, hashes, container, ct).ConfigureAwait(false);
        await EndAsync(attempt, ProcessingJobStatus.Completed, null, message).ConfigureAwait(false);
    }

    /// <summary>The container's file system, rooted in a folder of the attempt.</summary>
    private sealed partial class ContainerRoot(string hostRoot)
    {
        public string HostRoot { get; } = hostRoot;

        public string Host(string containerPath) => Path.Combine(HostRoot, containerPath.TrimStart('/'));

        /// <summary>Points every <c>/opt/ml</c> path in an argument (alone or after '=') at the host folder.</summary>
        public string Rewrite(string value) => ContainerPath().Replace(value, match => match.Groups[1].Value + HostRoot + "/opt/ml");

        [GeneratedRegex(@"(^|=|:)/opt/ml(?=/|$)")]
        private static partial Regex ContainerPath();
    }

    private async Task<Dictionary<string, string>> DownloadInputsAsync(ProcessingJobSpec spec, ContainerRoot container, CancellationToken ct)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in spec.Inputs)
        {
            var directory = container.Host(input.LocalPath);
            int count;
            try
            {
                count = await data.DownloadAsync(input.Uri, directory, ct).ConfigureAwait(false);
            }
            catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
            {
                throw new ProcessingFailedException($"ClientError: input '{input.Name}' has no data at {input.Uri} ({e.Message}).");
            }

            if (count == 0)
            {
                throw new ProcessingFailedException($"ClientError: no objects found under {input.Uri} for input '{input.Name}'.");
            }

            if (input.CompressionType == "Gzip")
            {
                foreach (var file in Directory.GetFiles(directory, "*.gz", SearchOption.AllDirectories))
                {
                    await using (var source = new GZipStream(File.OpenRead(file), CompressionMode.Decompress))
                    await using (var target = File.Create(file[..^3]))
                    {
                        await source.CopyToAsync(target, ct).ConfigureAwait(false);
                    }

                    File.Delete(file);
                }
            }

            hashes[input.Name] = await FolderHash.ComputeAsync(directory, ct).ConfigureAwait(false);
        }

        return hashes;
    }

    /// <summary>/opt/ml/config: the job as SageMaker describes it to the container, and the one-host resource config.</summary>
    private static void WriteConfig(ProcessingJobSpec spec, ContainerRoot container)
    {
        var config = Directory.CreateDirectory(container.Host("/opt/ml/config")).FullName;
        Directory.CreateDirectory(container.Host("/opt/ml/output"));
        var processingConfig = new Dictionary<string, object?>
        {
            ["ProcessingJobName"] = spec.Name,
            ["AppSpecification"] = new Dictionary<string, object?> { ["ImageUri"] = spec.ImageUri, ["ContainerEntrypoint"] = spec.ContainerEntrypoint, ["ContainerArguments"] = spec.ContainerArguments },
            ["Environment"] = spec.Environment,
            ["ProcessingInputs"] = spec.Inputs.Select(input => new Dictionary<string, object?>
            {
                ["InputName"] = input.Name,
                ["S3Input"] = new Dictionary<string, object?> { ["S3Uri"] = input.Uri, ["LocalPath"] = input.LocalPath, ["S3DataType"] = input.DataType, ["S3InputMode"] = input.InputMode },
            }),
            ["ProcessingOutputConfig"] = new Dictionary<string, object?>
            {
                ["Outputs"] = spec.Outputs.Select(output => new Dictionary<string, object?>
                {
                    ["OutputName"] = output.Name,
                    ["S3Output"] = new Dictionary<string, object?> { ["S3Uri"] = output.Uri, ["LocalPath"] = output.LocalPath, ["S3UploadMode"] = output.UploadMode },
                }),
            },
            ["ProcessingResources"] = new Dictionary<string, object?>
            {
                ["ClusterConfig"] = new Dictionary<string, object?> { ["InstanceCount"] = spec.InstanceCount, ["InstanceType"] = spec.InstanceType, ["VolumeSizeInGB"] = spec.VolumeSizeInGB },
            },
        };
        File.WriteAllText(Path.Combine(config, "processingjobconfig.json"), JsonSerializer.Serialize(processingConfig));
        File.WriteAllText(Path.Combine(config, "resourceconfig.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["current_host"] = "algo-1",
            ["hosts"] = Hosts,
        }));
    }

    private async Task<ContainerProcess.Result> RunCommandAsync(ProcessingJob job, ContainerRoot container, CancellationToken ct)
    {
        var environment = job.Spec.Environment.ToDictionary(pair => pair.Key, pair => container.Rewrite(pair.Value));
        environment["PYTHONUNBUFFERED"] = "1";
        environment["PROCESSING_JOB_NAME"] = job.Name;
        using var log = new JobLogWriter(workspace.LogFile(job.Name), clock);
        void OnLine(string line, bool error) => log.WriteLine(line);

        foreach (var note in job.Spec.NotActedOn)
        {
            OnLine(note, false);
        }

        if (builtIns.FirstOrDefault(processor => processor.Handles(job.Spec.ImageUri)) is { } builtIn)
        {
            return await RunBuiltInAsync(builtIn, job, container, environment, line => OnLine(line, false), ct).ConfigureAwait(false);
        }

        var command = job.Spec.ContainerEntrypoint.Concat(job.Spec.ContainerArguments).Select(container.Rewrite).ToList();
        var program = command[0] is "python3" or "python" ? options.Python : command[0];
        OnLine($"Running: {program} {string.Join(' ', command.Skip(1))}", false);
        // The working directory exists even for a job with neither inputs nor outputs.
        Directory.CreateDirectory(container.Host("/opt/ml/processing"));
        try
        {
            return await ContainerProcess.RunAsync(program, command.Skip(1).ToList(), container.Host("/opt/ml/processing"), environment, OnLine, options.StopGracePeriod, ct).ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ProcessingFailedException($"ClientError: could not start '{program}': {e.Message}");
        }
    }

    /// <summary>An image Kiln runs itself (Model Monitor's analyzer, Clarify): it leaves its exit message where a container would.</summary>
    private static async Task<ContainerProcess.Result> RunBuiltInAsync(IBuiltInProcessor processor, ProcessingJob job, ContainerRoot container,
        Dictionary<string, string> environment, Action<string> log, CancellationToken ct)
    {
        log($"Running Kiln's built-in {job.Spec.ImageUri} (no container)");
        try
        {
            var result = await processor.RunAsync(new BuiltInProcessingRun(job, environment, container.Host, log), ct).ConfigureAwait(false);
            if (result.ExitMessage is { } message)
            {
                var file = container.Host("/opt/ml/output/message");
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                await File.WriteAllTextAsync(file, message, ct).ConfigureAwait(false);
            }

            return new ContainerProcess.Result(0, []);
        }
        catch (BuiltInProcessingException e)
        {
            throw new ProcessingFailedException(e.Message);
        }
    }

    private static string? ReadExitMessage(ContainerRoot container)
    {
        var file = container.Host("/opt/ml/output/message");
        return File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } text ? JobFailure.Truncate(text) : null;
    }

    private async Task UploadOutputsAsync(ProcessingJobSpec spec, ContainerRoot container, CancellationToken ct)
    {
        foreach (var output in spec.Outputs)
        {
            var directory = container.Host(output.LocalPath);
            foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(directory, file).Replace('\\', '/');
                await data.UploadAsync(file, $"{output.Uri.TrimEnd('/')}/{relative}", ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The job's inputs (the one named "code" as code) contributed to it; it produced each output, identified by its content hash.</summary>
    private async Task RecordLineageAsync(ProcessingJobSpec spec, IReadOnlyDictionary<string, string> inputHashes, ContainerRoot container, CancellationToken ct)
    {
        if (lineage is null)
        {
            return;
        }

        var inputs = spec.Inputs.Select(input => new LineageData(input.Uri, inputHashes.GetValueOrDefault(input.Name), input.Name == "code" ? LineageTypes.Code : LineageTypes.DataSet)).ToList();
        var outputs = new List<LineageData>();
        foreach (var output in spec.Outputs)
        {
            outputs.Add(new LineageData(output.Uri, await FolderHash.ComputeAsync(container.Host(output.LocalPath), ct).ConfigureAwait(false), LineageTypes.DataSet));
        }

        var properties = new Dictionary<string, string>
        {
            ["ImageUri"] = spec.ImageUri,
            ["Command"] = string.Join(' ', spec.ContainerEntrypoint.Concat(spec.ContainerArguments)),
        };
        await lineage.RecordJobAsync(spec.Name, LineageTypes.ProcessingJob, Arns.DefaultRegion, inputs, outputs, properties, ct).ConfigureAwait(false);
    }

    private static Task<ProcessingJob?> EndAsync(JobAttempt<ProcessingJob> attempt, ProcessingJobStatus status, string? failureReason, string? exitMessage = null) =>
        attempt.EndAsync((current, now) => current with
        {
            Status = status,
            FailureReason = failureReason,
            ExitMessage = exitMessage,
            ProcessingEndTime = now,
        });

    private sealed class ProcessingFailedException(string message) : Exception(message);
}
