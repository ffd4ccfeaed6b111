using System.Formats.Tar;
using System.IO.Compression;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Lineage;
using Kiln.Core.Logs;
using Kiln.Core.Tracking;
using Kiln.Core.Training;
using Microsoft.Extensions.Logging;

namespace Kiln.Training.Jobs;

/// <summary>
/// Runs a training job on the job engine: Starting → Downloading → Training → Uploading → Completed
/// (or Failed / Stopped), recording each step with its time. The job is mirrored as a tracked run
/// (hyperparameters as params, metric history, the model as an artifact). Each attempt takes the next
/// attempt number and writes only while it is the latest, so a lost node's attempt can't overwrite
/// the attempt that replaced it.
/// </summary>
public sealed partial class TrainingJobRunner(
    ITrainingJobStore store,
    ITrainerCatalog trainers,
    DataUris data,
    IArtifactStore artifacts,
    TrackingService tracking,
    TrainingWorkspace workspace,
    TimeProvider clock,
    ILogger<TrainingJobRunner> logger,
    ITrainingStopRule? stopRule = null,
    TrainingJobEvents? events = null,
    ILineageRecorder? lineage = null,
    Kiln.Core.Experiments.ExperimentService? experiments = null,
    ITrainingHostLauncher? hostLauncher = null) : IJobRunner
{
    public const string DefaultExperiment = "training-jobs";

    private readonly ITrainingHostLauncher _hosts = hostLauncher
        ?? new LocalTrainingHostLauncher(new TrainingHostRunner(store, trainers, data, workspace, clock));

    private readonly JobLifecycle<TrainingJob> _lifecycle = new(TrainingJobService.JobKind, store.FindAsync, store.UpdateAsync, clock, logger);

    public string Kind => TrainingJobService.JobKind;

    public Task<bool> IsFinishedAsync(string name, CancellationToken ct = default) => _lifecycle.IsFinishedAsync(name, ct);

    public Task RunAsync(JobRun run) => _lifecycle.RunAsync(run, RunAsync, (job, now) =>
        job.WithSecondaryStatus(SecondaryStatus.Restarting, $"Restarting on {run.Node}: the node running attempt {job.Attempt - 1} was lost", now));

    private async Task RunAsync(JobAttempt<TrainingJob> claimed)
    {
        var (job, run) = (claimed.Job, claimed.Run);
        var attempt = new Attempt(claimed, clock, events);
        using var stopEarly = new CancellationTokenSource();
        JobReporter? reporterOfRun = null;
        var directory = Path.Combine(workspace.JobDirectory(job.Name), $"attempt-{job.Attempt}");
        var runId = job.RunId;
        var options = new JobRunOptions
        {
            EndIfStoppedBeforeStart = true,
            HoldsSlot = true,
            WaitingForSlot = message => attempt.StatusAsync(SecondaryStatus.Pending, message),
            MaxRuntime = TimeSpan.FromSeconds(job.Spec.MaxRuntimeInSeconds),
            Cancelled = stopEarly.Token,
            ExpectedFailure = e => e switch
            {
                KilnException { Code: ErrorCode.ResourceDoesNotExist } => $"ClientError: {e.Message}",
                TrainingFailedException or TrainingValidationException or KilnException => $"AlgorithmError: {e.Message}",
                _ => null,
            },
        };
        await claimed.RunAsync(
            async ct =>
            {
                await attempt.StatusAsync(SecondaryStatus.Starting, $"Preparing the instances for training on {run.Node}", markStart: true).ConfigureAwait(false);
                var trainer = trainers.Resolve(job.Spec);
                var trackedRun = await EnsureTrackedRunAsync(job, ct).ConfigureAwait(false);
                runId = trackedRun;
                await attempt.ChangeAsync(current => current with { RunId = trackedRun }).ConfigureAwait(false);

                await attempt.StatusAsync(SecondaryStatus.Downloading, "Downloading input data").ConfigureAwait(false);
                var channels = await DownloadChannelsAsync(data, job.Spec, Path.Combine(directory, "input", "data"), ct).ConfigureAwait(false);
                var channelHashes = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var channel in channels.Values)
                {
                    channelHashes[channel.Name] = await FolderHash.ComputeAsync(channel.Directory, ct).ConfigureAwait(false);
                }

                await attempt.StatusAsync(SecondaryStatus.Training, "Training image download completed. Training in progress.").ConfigureAwait(false);
                var modelDirectory = Directory.CreateDirectory(Path.Combine(directory, "model")).FullName;
                var outputDirectory = Directory.CreateDirectory(Path.Combine(directory, "output", "data")).FullName;
                using var reporter = new JobReporter(attempt, tracking, trackedRun, workspace.LogFile(job.Name), clock, job.Spec, stopRule, stopEarly);
                reporterOfRun = reporter;
                var context = new TrainingContext(job.Name, job.Spec.HyperParameters, channels, modelDirectory, outputDirectory, directory, reporter, clock, ct);
                if (job.Spec.InstanceCount > 1 && trainer.RunsUserCode)
                {
                    await TrainDistributedAsync(trainer, context, job, ct).ConfigureAwait(false);
                }
                else
                {
                    if (job.Spec.InstanceCount > 1)
                    {
                        reporter.Log($"Kiln trains built-in algorithms on one instance: ResourceConfig.InstanceCount is {job.Spec.InstanceCount}, and this job trains on algo-1 only (the same model as on one instance).");
                    }

                    await trainer.TrainAsync(context).ConfigureAwait(false);
                }

                await reporter.FlushAsync().ConfigureAwait(false);

                await attempt.StatusAsync(SecondaryStatus.Uploading, "Uploading generated training model").ConfigureAwait(false);
                var modelUri = await UploadOutputsAsync(job.Spec, directory, modelDirectory, outputDirectory, trackedRun, ct).ConfigureAwait(false);
                await RecordLineageAsync(job.Spec, channelHashes, directory, modelUri, ct).ConfigureAwait(false);
                await attempt.ChangeAsync(current => current with { ModelArtifacts = modelUri, FinalMetrics = reporter.FinalMetrics() }).ConfigureAwait(false);
                await attempt.EndAsync(TrainingJobStatus.Completed, SecondaryStatus.Completed, "Training job completed").ConfigureAwait(false);
                await FinishTrackedRunAsync(trackedRun, RunStatus.Finished).ConfigureAwait(false);
            },
            exit => EndAsync(attempt, exit, job.Spec, runId, reporterOfRun),
            options).ConfigureAwait(false);
    }

    /// <summary>Ends a job its work did not end, and its tracked run with it (a job stopped before it started has none running).</summary>
    private async Task EndAsync(Attempt attempt, JobExit exit, TrainingJobSpec spec, string? runId, JobReporter? stoppedEarly)
    {
        if (exit.Kind == JobExitKind.Cancelled && stoppedEarly is not null)
        {
            // A tuning job's early stopping: the job ends Stopped, with the metrics it reached.
            await stoppedEarly.FlushAsync().ConfigureAwait(false);
            await attempt.ChangeAsync(current => current with { FinalMetrics = stoppedEarly.FinalMetrics() }).ConfigureAwait(false);
            await attempt.EndAsync(TrainingJobStatus.Stopped, SecondaryStatus.Stopped, stoppedEarly.StoppedEarlyBecause ?? "Training job stopped early").ConfigureAwait(false);
            await FinishTrackedRunAsync(runId, RunStatus.Killed).ConfigureAwait(false);
            return;
        }

        var (status, secondary, message, runStatus) = exit.Kind switch
        {
            JobExitKind.StoppedBeforeStart => (TrainingJobStatus.Stopped, SecondaryStatus.Stopped, "The training job was stopped before it started", (RunStatus?)null),
            JobExitKind.Stopped => (TrainingJobStatus.Stopped, SecondaryStatus.Stopped, "Training job stopped", RunStatus.Killed),
            JobExitKind.RuntimeExceeded => (TrainingJobStatus.Stopped, SecondaryStatus.MaxRuntimeExceeded, $"Training job runtime exceeded MaxRuntimeInSeconds provided ({spec.MaxRuntimeInSeconds} s)", RunStatus.Killed),
            _ => (TrainingJobStatus.Failed, SecondaryStatus.Failed, "Training job failed", RunStatus.Failed),
        };
        await attempt.EndAsync(status, secondary, message, exit.FailureReason).ConfigureAwait(false);
        if (runStatus is { } ended)
        {
            await FinishTrackedRunAsync(runId, ended).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A script on ResourceConfig.InstanceCount hosts: algo-1 here (its model is the job's), the others started by the
    /// host launcher (on other nodes of a cluster where there are any), each line kept in its host's log stream. The
    /// job succeeds when every host exits 0; the first host to fail stops the others and its reason is the job's.
    /// </summary>
    private async Task TrainDistributedAsync(ITrainer trainer, TrainingContext context, TrainingJob job, CancellationToken ct)
    {
        var hosts = new TrainingHosts("algo-1", TrainingHosts.Names(job.Spec.InstanceCount), _hosts.LocalAddress, FreePort());
        context.Reporter.Log($"Distributed training on {hosts.All.Count} hosts ({string.Join(", ", hosts.All)}); algo-1 runs on {_hosts.LocalAddress}, MASTER_ADDR={hosts.MasterAddress} MASTER_PORT={hosts.MasterPort}");
        var logs = hosts.All.Skip(1).ToDictionary(host => host, host => new JobLogWriter(workspace.HostLogFile(job.Name, host), clock), StringComparer.Ordinal);
        try
        {
            await TrainingHostGroup.RunAllAsync(
                [
                    async token =>
                    {
                        try
                        {
                            await trainer.TrainAsync(context with { CancellationToken = token, Hosts = hosts }).ConfigureAwait(false);
                        }
                        catch (Exception e)
                        {
                            throw TrainingHostGroup.Named("algo-1", e);
                        }
                    },
                    token => _hosts.RunAsync(job.Name, job.Attempt, hosts, (host, line) => logs[host].WriteLine(line), token),
                ],
                ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var log in logs.Values)
            {
                log.Dispose();
            }
        }
    }

    /// <summary>A port free on this node right now, for algo-1's rendezvous (the script binds it a moment later).</summary>
    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, 0);
        listener.Start();
        try
        {
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    internal static async Task<IReadOnlyDictionary<string, TrainingChannel>> DownloadChannelsAsync(DataUris data, TrainingJobSpec spec, string root, CancellationToken ct)
    {
        var channels = new Dictionary<string, TrainingChannel>(StringComparer.Ordinal);
        foreach (var channel in spec.Channels)
        {
            var directory = Path.Combine(root, channel.Name);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            int count;
            try
            {
                count = await data.DownloadAsync(channel.Uri, directory, ct).ConfigureAwait(false);
            }
            catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
            {
                throw new TrainingFailedException($"ClientError: Data download failed: channel '{channel.Name}' has no data at {channel.Uri} ({e.Message}).");
            }

            if (count == 0)
            {
                throw new TrainingFailedException($"ClientError: Data download failed: no objects found under {channel.Uri} for channel '{channel.Name}'.");
            }

            if (channel.CompressionType == "Gzip")
            {
                foreach (var file in Directory.GetFiles(directory, "*", SearchOption.AllDirectories))
                {
                    await GunzipInPlaceAsync(file, ct).ConfigureAwait(false);
                }
            }

            channels[channel.Name] = new TrainingChannel(channel.Name, directory, channel.ContentType);
        }

        return channels;
    }

    private static async Task GunzipInPlaceAsync(string file, CancellationToken ct)
    {
        var target = file.EndsWith(".gz", StringComparison.Ordinal) ? file[..^3] : file + ".out";
        await using (var source = new GZipStream(File.OpenRead(file), CompressionMode.Decompress))
        await using (var output = File.Create(target))
        {
            await source.CopyToAsync(output, ct).ConfigureAwait(false);
        }

        File.Delete(file);
    }

    private async Task<string> UploadOutputsAsync(TrainingJobSpec spec, string directory, string modelDirectory, string outputDirectory, string runId, CancellationToken ct)
    {
        var prefix = $"{spec.OutputPath.TrimEnd('/')}/{spec.Name}/output";
        var modelArchive = Path.Combine(directory, "model.tar.gz");
        await TarGzipAsync(modelDirectory, modelArchive, ct).ConfigureAwait(false);
        var modelUri = $"{prefix}/model.tar.gz";
        await data.UploadAsync(modelArchive, modelUri, ct).ConfigureAwait(false);

        if (Directory.EnumerateFileSystemEntries(outputDirectory).Any())
        {
            var outputArchive = Path.Combine(directory, "output.tar.gz");
            await TarGzipAsync(outputDirectory, outputArchive, ct).ConfigureAwait(false);
            await data.UploadAsync(outputArchive, $"{prefix}/output.tar.gz", ct).ConfigureAwait(false);
        }

        // The tracked run keeps its own copy, so the MLflow view of the job has the model too.
        var run = await tracking.GetRunAsync(runId, ct).ConfigureAwait(false);
        if (DataUris.StorePath(run.Info.ArtifactUri) is { } runArtifacts)
        {
            await using var archive = File.OpenRead(modelArchive);
            await artifacts.WriteAsync(ArtifactPath.Combine(runArtifacts, "model", "model.tar.gz"), archive, ct).ConfigureAwait(false);
        }

        return modelUri;
    }

    /// <summary>
    /// The job's lineage: each channel (URI and content hash) and the code it ran contributed to it, and it
    /// produced the model. The code is kept: a copy is stored beside the model so the job can be rerun from it.
    /// </summary>
    private async Task RecordLineageAsync(TrainingJobSpec spec, IReadOnlyDictionary<string, string> channelHashes, string directory, string modelUri, CancellationToken ct)
    {
        if (lineage is null)
        {
            return;
        }

        var inputs = spec.Channels
            .Select(channel => new LineageData(channel.Uri, channelHashes.GetValueOrDefault(channel.Name), channel.Name == "code" ? LineageTypes.Code : LineageTypes.DataSet, new Dictionary<string, string> { ["Channel"] = channel.Name }))
            .ToList();
        var code = Path.Combine(directory, "opt", "ml", "code");
        if (Directory.Exists(code) && Directory.EnumerateFiles(code, "*", SearchOption.AllDirectories).Any())
        {
            var copy = $"{spec.OutputPath.TrimEnd('/')}/{spec.Name}/source/sourcedir.tar.gz";
            var archive = Path.Combine(directory, "sourcedir.tar.gz");
            await TarGzipAsync(code, archive, ct).ConfigureAwait(false);
            await data.UploadAsync(archive, copy, ct).ConfigureAwait(false);
            var origin = spec.HyperParameters.GetValueOrDefault("sagemaker_submit_directory")?.Trim('"') ?? copy;
            inputs.Add(new LineageData(origin, await FolderHash.ComputeAsync(code, ct).ConfigureAwait(false), LineageTypes.Code, new Dictionary<string, string> { ["StoredCopy"] = copy }));
        }

        var model = new LineageData(modelUri, await FolderHash.FileAsync(Path.Combine(directory, "model.tar.gz"), ct).ConfigureAwait(false), LineageTypes.Model);
        var properties = new Dictionary<string, string>
        {
            ["TrainingImage"] = spec.TrainingImage ?? spec.AlgorithmName ?? "",
            ["HyperParameters"] = System.Text.Json.JsonSerializer.Serialize(spec.HyperParameters),
        };
        await lineage.RecordJobAsync(spec.Name, LineageTypes.TrainingJob, Arns.DefaultRegion, inputs, [model], properties, ct).ConfigureAwait(false);
    }

    private static async Task TarGzipAsync(string directory, string archive, CancellationToken ct)
    {
        await using var file = File.Create(archive);
        await using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        await TarFile.CreateFromDirectoryAsync(directory, gzip, includeBaseDirectory: false, ct).ConfigureAwait(false);
    }

    private async Task<string> EnsureTrackedRunAsync(TrainingJob job, CancellationToken ct)
    {
        if (job.RunId is { } existing)
        {
            return existing;
        }

        var experimentName = job.Spec.ExperimentName ?? DefaultExperiment;
        string experimentId;
        try
        {
            experimentId = (await tracking.GetExperimentByNameAsync(experimentName, ct).ConfigureAwait(false)).ExperimentId;
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            try
            {
                experimentId = await tracking.CreateExperimentAsync(experimentName, null, null, ct).ConfigureAwait(false);
            }
            catch (KilnException again) when (again.Code == ErrorCode.ResourceAlreadyExists)
            {
                experimentId = (await tracking.GetExperimentByNameAsync(experimentName, ct).ConfigureAwait(false)).ExperimentId;
            }
        }

        var tags = new List<Tag>
        {
            new("sagemaker.training_job", job.Name),
            new("kiln.job.kind", Kind),
            new(SystemTags.User, job.Spec.CreatedBy),
            new("mlflow.source.name", job.Spec.TrainingImage ?? job.Spec.AlgorithmName ?? "training-job"),
        };
        // The job's run is its trial component ("<job>-aws-training-job", as SageMaker names it), in its trial when ExperimentConfig names one.
        tags.Add(new Tag(Kiln.Core.Experiments.ExperimentTags.Kind, Kiln.Core.Experiments.ExperimentTags.TrialComponentKind));
        tags.Add(new Tag(Kiln.Core.Experiments.ExperimentTags.Name, $"{job.Name}-aws-training-job"));
        tags.Add(new Tag(Kiln.Core.Experiments.ExperimentTags.SourceArn, Arns.SageMaker(Arns.DefaultRegion, "training-job", job.Name)));
        if (job.Spec.TrialName is { } trial)
        {
            tags.Add(new Tag("sagemaker.trial", trial));
            tags.Add(new Tag(Kiln.Core.Experiments.ExperimentTags.TrialPrefix + trial, "true"));
            if (experiments is not null)
            {
                var trialRecord = await experiments.EnsureTrialAsync(trial, experimentName, job.Spec.CreatedBy, ct).ConfigureAwait(false);
                tags.Add(new Tag(SystemTags.ParentRunId, trialRecord.Run.Info.RunId));
            }
        }

        if (job.Spec.TuningJobName is { } tuning)
        {
            tags.Add(new Tag("sagemaker.tuning_job", tuning));
        }

        tags.AddRange(job.Spec.RunTags.Select(pair => new Tag(pair.Key, pair.Value)));

        var run = await tracking.CreateRunAsync(experimentId, job.Spec.CreatedBy, job.CreationTime.ToUnixTimeMilliseconds(), tags, job.Spec.RunName ?? job.Name, ct).ConfigureAwait(false);
        var parameters = job.Spec.HyperParameters
            .Select(pair => new Param(pair.Key, pair.Value.Length > TrackingLimits.MaxParamValueLength ? pair.Value[..TrackingLimits.MaxParamValueLength] : pair.Value))
            .Where(param => TryValidParam(param))
            .ToList();
        foreach (var chunk in parameters.Chunk(TrackingLimits.MaxParamsTagsPerBatch))
        {
            await tracking.LogBatchAsync(run.Info.RunId, [], chunk, [], ct).ConfigureAwait(false);
        }

        return run.Info.RunId;
    }

    private static bool TryValidParam(Param param)
    {
        try
        {
            TrackingValidation.Param(param);
            return true;
        }
        catch (KilnException)
        {
            return false;
        }
    }

    private async Task FinishTrackedRunAsync(string? runId, RunStatus status)
    {
        if (runId is null)
        {
            return;
        }

        try
        {
            await tracking.UpdateRunAsync(runId, status, clock.GetUtcNow().ToUnixTimeMilliseconds(), null).ConfigureAwait(false);
        }
        catch (KilnException e)
        {
            LogRunNotUpdated(e, runId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not update tracked run {RunId}")]
    private partial void LogRunNotUpdated(Exception exception, string runId);

    /// <summary>A training job's writes for one attempt: its secondary statuses, with their times, and its end.</summary>
    internal sealed class Attempt(JobAttempt<TrainingJob> attempt, TimeProvider clock, TrainingJobEvents? events)
    {
        public Task StatusAsync(string status, string message, bool markStart = false) =>
            ChangeAsync(job =>
            {
                var now = clock.GetUtcNow();
                var changed = job.WithSecondaryStatus(status, message, now);
                return markStart && changed.TrainingStartTime is null ? changed with { TrainingStartTime = now } : changed;
            });

        public async Task EndAsync(TrainingJobStatus status, string secondary, string message, string? failureReason = null)
        {
            await attempt.EndAsync((job, now) => job.Ended(status, secondary, message, now, failureReason)).ConfigureAwait(false);
            events?.Ended();
        }

        public Task ChangeAsync(Func<TrainingJob, TrainingJob> change) => attempt.ChangeAsync(change);
    }
}
