using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Core.Transform;

/// <summary>Batch transform: accept a job (checked up front), describe, list, stop; the work runs on the job engine.</summary>
public sealed class TransformJobService(ITransformJobStore store, IServingStore models, IJobScheduler scheduler, TimeProvider clock, FileRoots? fileRoots = null)
{
    public const string JobKind = "transform";

    public async Task<TransformJob> CreateAsync(TransformJobSpec spec, CancellationToken ct = default)
    {
        if (await models.FindModelAsync(spec.ModelName, ct).ConfigureAwait(false) is null)
        {
            throw KilnException.InvalidParameter($"Could not find model \"{spec.ModelName}\".");
        }

        foreach (var (name, uri) in new[] { ("TransformInput.DataSource.S3DataSource.S3Uri", spec.InputUri), ("TransformOutput.S3OutputPath", spec.OutputPath) })
        {
            if (!uri.StartsWith("s3://", StringComparison.Ordinal) && !uri.StartsWith("file://", StringComparison.Ordinal))
            {
                throw KilnException.InvalidParameter($"{name} '{uri}' must be an s3:// or file:// URI.");
            }

            fileRoots?.Check(uri, name);
        }

        foreach (var filter in new[] { spec.InputFilter, spec.OutputFilter }.OfType<string>())
        {
            JsonPathFilter.Parse(filter);
        }

        if (spec.MaxPayloadInMB > 100)
        {
            throw KilnException.InvalidParameter($"MaxPayloadInMB is {spec.MaxPayloadInMB}; it can be at most 100.");
        }

        var now = clock.GetUtcNow();
        var job = new TransformJob { Spec = spec, CreationTime = now, LastModifiedTime = now };
        if (!await store.AddAsync(job, ct).ConfigureAwait(false))
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Job name must be unique within an AWS account and region, and a job with this name already exists ({Arns.SageMaker(Arns.DefaultRegion, "transform-job", spec.Name)}).");
        }

        await scheduler.StartAsync(JobKind, spec.Name, ct).ConfigureAwait(false);
        return job;
    }

    public async Task<TransformJob> DescribeAsync(string name, CancellationToken ct = default) =>
        await store.FindAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Could not find requested job with name {name}");

    public Task<Page<TransformJob>> ListAsync(ListQuery query, CancellationToken ct = default) => store.ListAsync(query, ct);

    public async Task StopAsync(string name, CancellationToken ct = default)
    {
        var job = await DescribeAsync(name, ct).ConfigureAwait(false);
        if (job.IsFinished)
        {
            return;
        }

        await store.UpdateAsync(name, current => current.IsFinished || current.StopRequested
            ? null
            : current with { StopRequested = true, Status = TransformJobStatus.Stopping, LastModifiedTime = clock.GetUtcNow() }, ct).ConfigureAwait(false);
        await scheduler.StopAsync(JobKind, name, ct).ConfigureAwait(false);
    }
}
