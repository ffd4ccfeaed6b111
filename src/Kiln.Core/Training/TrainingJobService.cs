using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Search;

namespace Kiln.Core.Training;

/// <summary>
/// Training jobs: accept (validate up front, as SageMaker does), describe, list and stop. The run
/// itself happens on the job engine (<see cref="IJobScheduler"/>) through the training job runner.
/// </summary>
public sealed class TrainingJobService(ITrainingJobStore store, ITrainerCatalog trainers, IJobScheduler scheduler, TimeProvider clock, FileRoots? fileRoots = null)
{
    public const string JobKind = "training";

    public async Task<TrainingJob> CreateAsync(TrainingJobSpec spec, CancellationToken ct = default)
    {
        var trainer = Validate(spec);
        if (spec.InstanceCount > 1 && !trainer.RunsUserCode)
        {
            // A script runs on every host it asked for (SM_HOSTS); a built-in algorithm trains on one and says so.
            spec = spec with { NotActedOn = [.. spec.NotActedOn, $"Kiln trains on one instance: ResourceConfig.InstanceCount {spec.InstanceCount} stored, the built-in algorithm runs on one."] };
        }

        var now = clock.GetUtcNow();
        var starting = string.Join(' ', spec.NotActedOn.Prepend("Launching requested ML instances."));
        var job = new TrainingJob { Spec = spec, CreationTime = now, LastModifiedTime = now }
            .WithSecondaryStatus(SecondaryStatus.Starting, spec.NotActedOn.Count == 0 ? "Launching requested ML instances" : starting, now);
        await store.CreateAsync(job, ct).ConfigureAwait(false);
        await scheduler.StartAsync(JobKind, spec.Name, ct).ConfigureAwait(false);
        return job;
    }

    public async Task<TrainingJob> DescribeAsync(string name, CancellationToken ct = default) =>
        await store.FindAsync(name, ct).ConfigureAwait(false)
        ?? throw KilnException.NotFound($"Requested resource not found: training job '{name}' does not exist.");

    public Task<Page<TrainingJob>> ListAsync(ListQuery query, CancellationToken ct = default) => store.ListAsync(query, ct);

    /// <summary>The jobs a property search selects (see <see cref="ITrainingJobStore.SearchAsync"/>), evaluated by the store.</summary>
    public Task<Page<TrainingJob>> SearchAsync(PropertySearchQuery query, CancellationToken ct = default) => store.SearchAsync(query, ct);

    public async Task StopAsync(string name, CancellationToken ct = default)
    {
        var job = await DescribeAsync(name, ct).ConfigureAwait(false);
        if (job.IsFinished)
        {
            throw KilnException.InvalidParameter($"The training job {name} has already ended with status {job.Status}: only a job in progress can be stopped.");
        }

        await store.UpdateAsync(name, current => current.IsFinished || current.StopRequested
            ? null
            : (current with { StopRequested = true, Status = TrainingJobStatus.Stopping })
                .WithSecondaryStatus(SecondaryStatus.Stopping, "Stopping the training job", clock.GetUtcNow()), ct).ConfigureAwait(false);
        await scheduler.StopAsync(JobKind, name, ct).ConfigureAwait(false);
    }

    private ITrainer Validate(TrainingJobSpec spec)
    {
        var duplicate = spec.Channels.GroupBy(channel => channel.Name).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null)
        {
            throw KilnException.InvalidParameter($"Channel names must be unique, but '{duplicate.Key}' appears {duplicate.Count()} times in InputDataConfig.");
        }

        foreach (var channel in spec.Channels)
        {
            if (!channel.Uri.StartsWith("s3://", StringComparison.Ordinal) && !channel.Uri.StartsWith("file://", StringComparison.Ordinal))
            {
                throw KilnException.InvalidParameter($"Channel '{channel.Name}': the data location '{channel.Uri}' must be an s3:// or file:// URI.");
            }

            fileRoots?.Check(channel.Uri, $"Channel '{channel.Name}': the data location");
        }

        if (!spec.OutputPath.StartsWith("s3://", StringComparison.Ordinal) && !spec.OutputPath.StartsWith("file://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"OutputDataConfig.S3OutputPath '{spec.OutputPath}' must be an s3:// or file:// URI.");
        }

        fileRoots?.Check(spec.OutputPath, "OutputDataConfig.S3OutputPath");
        if (spec.HyperParameters.TryGetValue("sagemaker_submit_directory", out var submitDirectory))
        {
            fileRoots?.Check(submitDirectory.Trim('"'), "The hyperparameter sagemaker_submit_directory");
        }

        ITrainer trainer;
        try
        {
            trainer = trainers.Resolve(spec);
            trainer.Validate(spec.HyperParameters, spec.Channels.Select(channel => channel.Name).ToList());
        }
        catch (TrainingValidationException e)
        {
            throw KilnException.InvalidParameter(e.Message);
        }

        return trainer;
    }
}
