using System.Formats.Tar;
using System.IO.Compression;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Lineage;
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
    Kiln.Core.Experiments.ExperimentService? experiments = null) : IJobRunner
{
    public const string DefaultExperiment = "training-jobs";

    public string Kind => TrainingJobService.JobKind;

    private ITrainingJobStore Store => store;

    private TimeProvider Clock => clock;

    private TrainingJobEvents? Events => events;

    public async Task<bool> IsFinishedAsync(string name, CancellationToken ct = default) =>
        await store.FindAsync(name, ct).ConfigureAwait(false) is not { IsFinished: false };

    public async Task RunAsync(JobRun run)
    {
        var now = clock.GetUtcNow();
        var job = await store.UpdateAsync(run.Name, current => current.IsFinished ? null : BeginAttempt(current, run, now)).ConfigureAwait(false);
        if (job is null)
        {
            return;
        }

        var attempt = new Attempt(this, job.Name, job.Attempt);
        if (job.StopRequested || run.StopRequested.IsCancellationRequested)
        {
            await attempt.EndAsync(TrainingJobStatus.Stopped, SecondaryStatus.Stopped, "The training job was stopped before it started").ConfigureAwait(false);
            return;
        }

        using var maxRuntime = new CancellationTokenSource(TimeSpan.FromSeconds(job.Spec.MaxRuntimeInSeconds));
        using var stopEarly = new CancellationTokenSource();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(run.StopRequested, run.NodeShutdown, maxRuntime.Token, stopEarly.Token);
        JobReporter? reporterOfRun = null;
        var directory = Path.Combine(workspace.JobDirectory(job.Name), $"attempt-{job.Attempt}");
        string? runId = job.RunId;
        try
        {
            if (run.Slots.Running >= run.Slots.Capacity)
            {
                await attempt.StatusAsync(SecondaryStatus.Pending, $"Waiting for a free job slot on {run.Node}: {run.Slots.Running} running, {run.Slots.Waiting} waiting").ConfigureAwait(false);
            }

            using var slot = await run.Slots.AcquireAsync(cancel.Token).ConfigureAwait(false);
            await attempt.StatusAsync(SecondaryStatus.Starting, $"Preparing the instances for training on {run.Node}", markStart: true).ConfigureAwait(false);
            var trainer = trainers.Resolve(job.Spec);
            runId = await EnsureTrackedRunAsync(job, cancel.Token).ConfigureAwait(false);
            await attempt.ChangeAsync(current => current with { RunId = runId }).ConfigureAwait(false);

            await attempt.StatusAsync(SecondaryStatus.Downloading, "Downloading input data").ConfigureAwait(false);
            var channels = await DownloadChannelsAsync(job.Spec, Path.Combine(directory, "input", "data"), cancel.Token).ConfigureAwait(false);
            var channelHashes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var channel in channels.Values)
            {
                channelHashes[channel.Name] = await FolderHash.ComputeAsync(channel.Directory, cancel.Token).ConfigureAwait(false);
            }

            await attempt.StatusAsync(SecondaryStatus.Training, "Training image download completed. Training in progress.").ConfigureAwait(false);
            var modelDirectory = Directory.CreateDirectory(Path.Combine(directory, "model")).FullName;
            var outputDirectory = Directory.CreateDirectory(Path.Combine(directory, "output", "data")).FullName;
            using var reporter = new JobReporter(attempt, tracking, runId, workspace.LogFile(job.Name), clock, job.Spec, stopRule, stopEarly);
            reporterOfRun = reporter;
            var context = new TrainingContext(job.Name, job.Spec.HyperParameters, channels, modelDirectory, outputDirectory, directory, reporter, clock, cancel.Token);
            await trainer.TrainAsync(context).ConfigureAwait(false);
            await reporter.FlushAsync().ConfigureAwait(false);

            await attempt.StatusAsync(SecondaryStatus.Uploading, "Uploading generated training model").ConfigureAwait(false);
            var modelUri = await UploadOutputsAsync(job.Spec, directory, modelDirectory, outputDirectory, runId, cancel.Token).ConfigureAwait(false);
            await RecordLineageAsync(job.Spec, channelHashes, directory, modelUri, cancel.Token).ConfigureAwait(false);
            await attempt.ChangeAsync(current => current with { ModelArtifacts = modelUri, FinalMetrics = reporter.FinalMetrics() }).ConfigureAwait(false);
            await attempt.EndAsync(TrainingJobStatus.Completed, SecondaryStatus.Completed, "Training job completed").ConfigureAwait(false);
            await FinishTrackedRunAsync(runId, RunStatus.Finished).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.NodeShutdown.IsCancellationRequested)
        {
            LogInterrupted(job.Name, job.Attempt);
            throw;
        }
        catch (OperationCanceledException) when (stopEarly.IsCancellationRequested && reporterOfRun is { } stoppedEarly)
        {
            // A tuning job's early stopping: the job ends Stopped, with the metrics it reached.
            await stoppedEarly.FlushAsync().ConfigureAwait(false);
            await attempt.ChangeAsync(current => current with { FinalMetrics = stoppedEarly.FinalMetrics() }).ConfigureAwait(false);
            await attempt.EndAsync(TrainingJobStatus.Stopped, SecondaryStatus.Stopped, stoppedEarly.StoppedEarlyBecause ?? "Training job stopped early").ConfigureAwait(false);
            await FinishTrackedRunAsync(runId, RunStatus.Killed).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.StopRequested.IsCancellationRequested)
        {
            await attempt.EndAsync(TrainingJobStatus.Stopped, SecondaryStatus.Stopped, "Training job stopped").ConfigureAwait(false);
            await FinishTrackedRunAsync(runId, RunStatus.Killed).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (maxRuntime.IsCancellationRequested)
        {
            await attempt.EndAsync(TrainingJobStatus.Stopped, SecondaryStatus.MaxRuntimeExceeded, $"Training job runtime exceeded MaxRuntimeInSeconds provided ({job.Spec.MaxRuntimeInSeconds} s)").ConfigureAwait(false);
            await FinishTrackedRunAsync(runId, RunStatus.Killed).ConfigureAwait(false);
        }
        catch (AttemptSupersededException)
        {
            LogSuperseded(job.Name, job.Attempt);
        }
        catch (Exception e) when (e is TrainingFailedException or TrainingValidationException or KilnException)
        {
            var reason = e is KilnException { Code: ErrorCode.ResourceDoesNotExist } ? $"ClientError: {e.Message}" : $"AlgorithmError: {e.Message}";
            await attempt.EndAsync(TrainingJobStatus.Failed, SecondaryStatus.Failed, "Training job failed", Truncate(reason)).ConfigureAwait(false);
            await FinishTrackedRunAsync(runId, RunStatus.Failed).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogFailed(e, job.Name);
            await attempt.EndAsync(TrainingJobStatus.Failed, SecondaryStatus.Failed, "Training job failed", Truncate($"InternalServerError: {e.Message}")).ConfigureAwait(false);
            await FinishTrackedRunAsync(runId, RunStatus.Failed).ConfigureAwait(false);
        }
    }

    private static TrainingJob BeginAttempt(TrainingJob current, JobRun run, DateTimeOffset now)
    {
        var next = current with { Attempt = current.Attempt + 1 };
        return run.IsRestart || current.Attempt > 0
            ? next.WithSecondaryStatus(SecondaryStatus.Restarting, $"Restarting on {run.Node}: the node running attempt {current.Attempt} was lost", now)
            : next with { LastModifiedTime = now };
    }

    private async Task<IReadOnlyDictionary<string, TrainingChannel>> DownloadChannelsAsync(TrainingJobSpec spec, string root, CancellationToken ct)
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

    private static string Truncate(string reason) => reason.Length <= 1024 ? reason : reason[..1021] + "...";

    [LoggerMessage(Level = LogLevel.Information, Message = "Training job {Name} attempt {Attempt} interrupted: its node is shutting down")]
    private partial void LogInterrupted(string name, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training job {Name} attempt {Attempt} gave way to a newer attempt")]
    private partial void LogSuperseded(string name, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Training job {Name} failed inside Kiln")]
    private partial void LogFailed(Exception exception, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not update tracked run {RunId}")]
    private partial void LogRunNotUpdated(Exception exception, string runId);

    /// <summary>Writes on behalf of one attempt, only while it is the job's latest attempt.</summary>
    internal sealed class Attempt(TrainingJobRunner runner, string name, int number)
    {
        public Task StatusAsync(string status, string message, bool markStart = false) =>
            ChangeAsync(job =>
            {
                var now = runner.Clock.GetUtcNow();
                var changed = job.WithSecondaryStatus(status, message, now);
                return markStart && changed.TrainingStartTime is null ? changed with { TrainingStartTime = now } : changed;
            });

        public async Task EndAsync(TrainingJobStatus status, string secondary, string message, string? failureReason = null)
        {
            await ChangeAsync(job => job.Ended(status, secondary, message, runner.Clock.GetUtcNow(), failureReason)).ConfigureAwait(false);
            runner.Events?.Ended();
        }

        public async Task ChangeAsync(Func<TrainingJob, TrainingJob> change)
        {
            var superseded = false;
            await runner.Store.UpdateAsync(name, job =>
            {
                if (job.Attempt != number)
                {
                    superseded = true;
                    return null;
                }

                return change(job) with { LastModifiedTime = runner.Clock.GetUtcNow() };
            }).ConfigureAwait(false);
            if (superseded)
            {
                throw new AttemptSupersededException();
            }
        }
    }

    private sealed class AttemptSupersededException : Exception;
}
