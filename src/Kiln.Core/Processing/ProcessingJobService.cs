using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Core.Processing;

/// <summary>Processing jobs: accept (checked up front), describe, list, stop; the command runs on the job engine.</summary>
public sealed class ProcessingJobService(IProcessingJobStore store, IJobScheduler scheduler, TimeProvider clock, IEnumerable<IBuiltInProcessor> builtIns, FileRoots? fileRoots = null)
{
    public const string JobKind = "processing";

    /// <summary>Where a processing container's inputs and outputs must live, as SageMaker requires.</summary>
    public const string ContainerRoot = "/opt/ml/processing";

    public async Task<ProcessingJob> CreateAsync(ProcessingJobSpec spec, CancellationToken ct = default)
    {
        Validate(spec);
        var now = clock.GetUtcNow();
        var job = new ProcessingJob { Spec = spec, CreationTime = now, LastModifiedTime = now };
        if (!await store.AddAsync(job, ct).ConfigureAwait(false))
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Job name must be unique within an AWS account and region, and a job with this name already exists ({Arns.SageMaker(Arns.DefaultRegion, "processing-job", spec.Name)}).");
        }

        await scheduler.StartAsync(JobKind, spec.Name, ct).ConfigureAwait(false);
        return job;
    }

    public async Task<ProcessingJob> DescribeAsync(string name, CancellationToken ct = default) =>
        await store.FindAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Could not find requested job with name {name}");

    public Task<Page<ProcessingJob>> ListAsync(ListQuery query, CancellationToken ct = default) => store.ListAsync(query, ct);

    public async Task StopAsync(string name, CancellationToken ct = default)
    {
        var job = await DescribeAsync(name, ct).ConfigureAwait(false);
        if (job.IsFinished)
        {
            throw KilnException.InvalidParameter($"The processing job {name} has already ended ({job.Status}); only a job in progress can be stopped.");
        }

        await store.UpdateAsync(name, current => current.IsFinished || current.StopRequested
            ? null
            : current with { StopRequested = true, Status = ProcessingJobStatus.Stopping, LastModifiedTime = clock.GetUtcNow() }, ct).ConfigureAwait(false);
        await scheduler.StopAsync(JobKind, name, ct).ConfigureAwait(false);
    }

    private void Validate(ProcessingJobSpec spec)
    {
        if (spec.ContainerEntrypoint.Count == 0 && !builtIns.Any(processor => processor.Handles(spec.ImageUri)))
        {
            throw KilnException.InvalidParameter(
                "AppSpecification.ContainerEntrypoint is required: Kiln runs the processing command on the host, so it needs the command to run (for example [\"python3\", \"/opt/ml/processing/input/code/script.py\"]).");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var paths = new List<(string Place, string Path)>();
        foreach (var input in spec.Inputs)
        {
            if (!names.Add(input.Name))
            {
                throw KilnException.InvalidParameter($"ProcessingInputs: the name '{input.Name}' is used more than once; input and output names must be unique.");
            }

            CheckUri($"ProcessingInputs '{input.Name}' S3Uri", input.Uri);
            paths.Add(($"ProcessingInputs '{input.Name}' LocalPath", CheckLocalPath($"ProcessingInputs '{input.Name}' LocalPath", input.LocalPath)));
        }

        foreach (var output in spec.Outputs)
        {
            if (!names.Add(output.Name))
            {
                throw KilnException.InvalidParameter($"ProcessingOutputConfig.Outputs: the name '{output.Name}' is used more than once; input and output names must be unique.");
            }

            CheckUri($"ProcessingOutputConfig.Outputs '{output.Name}' S3Uri", output.Uri);
            paths.Add(($"ProcessingOutputConfig.Outputs '{output.Name}' LocalPath", CheckLocalPath($"ProcessingOutputConfig.Outputs '{output.Name}' LocalPath", output.LocalPath)));
        }

        for (var i = 0; i < paths.Count; i++)
        {
            for (var j = i + 1; j < paths.Count; j++)
            {
                if (paths[i].Path == paths[j].Path)
                {
                    throw KilnException.InvalidParameter($"{paths[j].Place} '{paths[j].Path}' is the same folder as {paths[i].Place}; each input and output needs its own local path.");
                }
            }
        }
    }

    private void CheckUri(string place, string uri)
    {
        if (!uri.StartsWith("s3://", StringComparison.Ordinal) && !uri.StartsWith("file://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"{place} '{uri}' must be an s3:// or file:// URI.");
        }

        fileRoots?.Check(uri, place);
    }

    /// <summary>A local path must be absolute, under /opt/ml/processing, and may not climb out of it.</summary>
    private static string CheckLocalPath(string place, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!path.StartsWith(ContainerRoot + "/", StringComparison.Ordinal) || segments.Any(segment => segment is "." or ".."))
        {
            throw KilnException.InvalidParameter($"{place} '{path}' must be a folder under {ContainerRoot}/ (without '.' or '..' segments).");
        }

        return "/" + string.Join('/', segments);
    }
}
