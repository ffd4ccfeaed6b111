using Kiln.Core.Common;
using Kiln.Core.Processing;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Core.Transform;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>What every <see cref="IProcessingJobStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class ProcessingJobStoreContract : NamedResourceContract<ProcessingJob>
{
    private IProcessingJobStore? _store;

    protected abstract IProcessingJobStore CreateStore();

    protected IProcessingJobStore Store => _store ??= CreateStore();

    protected override Task<bool> AddAsync(ProcessingJob item) => Store.AddAsync(item);

    protected override Task<ProcessingJob?> FindAsync(string name) => Store.FindAsync(name);

    protected override Task<ProcessingJob?> UpdateAsync(string name, Func<ProcessingJob, ProcessingJob?> change) => Store.UpdateAsync(name, change);

    protected override Task<Page<ProcessingJob>> ListAsync(ListQuery query) => Store.ListAsync(query);

    protected override IReadOnlyList<string> Statuses => [nameof(ProcessingJobStatus.InProgress), nameof(ProcessingJobStatus.Completed), nameof(ProcessingJobStatus.Stopped)];

    protected override string NameOf(ProcessingJob item) => item.Name;

    protected override ProcessingJob Mark(ProcessingJob item, string mark) =>
        item with { InputHashes = new Dictionary<string, string>(item.InputHashes) { [mark] = "hash" } };

    protected override IReadOnlyCollection<string> MarksOf(ProcessingJob item) => item.InputHashes.Keys.ToList();

    protected override ProcessingJob Sample(string name, DateTimeOffset created, string status) => new()
    {
        Spec = new ProcessingJobSpec
        {
            Name = name,
            ImageUri = "kiln/sklearn:1",
            ContainerEntrypoint = ["python3", "/opt/ml/processing/input/code/run.py"],
            ContainerArguments = ["--split", "0.2"],
            Environment = new Dictionary<string, string> { ["SEED"] = "1" },
            Inputs = [new ProcessingInput("code", "s3://b/code", "/opt/ml/processing/input/code", "S3Prefix", "Pipe", "ShardedByS3Key", "Gzip")],
            Outputs = [new ProcessingOutput("train", "s3://b/train", "/opt/ml/processing/train", "Continuous")],
            InstanceType = "ml.c5.xlarge",
            InstanceCount = 2,
            VolumeSizeInGB = 40,
            MaxRuntimeInSeconds = 600,
            RoleArn = "arn:aws:iam::1:role/r",
            Tags = [new Tag("team", "ml")],
            CreatedBy = "ann",
            NetworkConfig = "{}",
            NotActedOn = ["NetworkConfig"],
        },
        Status = Enum.Parse<ProcessingJobStatus>(status),
        FailureReason = "reason",
        ExitMessage = "exit",
        CreationTime = created,
        ProcessingStartTime = created.AddSeconds(1),
        ProcessingEndTime = created.AddSeconds(2),
        LastModifiedTime = created,
        StopRequested = true,
        Attempt = 2,
        InputHashes = new Dictionary<string, string> { ["code"] = "abc" },
    };
}

/// <summary>What every <see cref="ITransformJobStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class TransformJobStoreContract : NamedResourceContract<TransformJob>
{
    private ITransformJobStore? _store;

    protected abstract ITransformJobStore CreateStore();

    protected ITransformJobStore Store => _store ??= CreateStore();

    protected override Task<bool> AddAsync(TransformJob item) => Store.AddAsync(item);

    protected override Task<TransformJob?> FindAsync(string name) => Store.FindAsync(name);

    protected override Task<TransformJob?> UpdateAsync(string name, Func<TransformJob, TransformJob?> change) => Store.UpdateAsync(name, change);

    protected override Task<Page<TransformJob>> ListAsync(ListQuery query) => Store.ListAsync(query);

    protected override IReadOnlyList<string> Statuses => [nameof(TransformJobStatus.InProgress), nameof(TransformJobStatus.Completed), nameof(TransformJobStatus.Failed)];

    protected override string NameOf(TransformJob item) => item.Name;

    protected override TransformJob Mark(TransformJob item, string mark) => item with { Spec = item.Spec with { Tags = [.. item.Spec.Tags, new Tag(mark, "")] } };

    protected override IReadOnlyCollection<string> MarksOf(TransformJob item) => item.Spec.Tags.Select(tag => tag.Key).ToList();

    protected override TransformJob Sample(string name, DateTimeOffset created, string status) => new()
    {
        Spec = new TransformJobSpec
        {
            Name = name,
            ModelName = "model",
            MaxConcurrentTransforms = 4,
            MaxPayloadInMB = 12,
            BatchStrategy = "SingleRecord",
            Environment = new Dictionary<string, string> { ["A"] = "1" },
            InputUri = "s3://b/in",
            InputDataType = "ManifestFile",
            ContentType = "text/csv",
            CompressionType = "Gzip",
            SplitType = "Line",
            OutputPath = "s3://b/out",
            Accept = "text/csv",
            AssembleWith = "Line",
            InstanceType = "ml.c5.large",
            InstanceCount = 2,
            InputFilter = "$[1:]",
            OutputFilter = "$[0]",
            JoinSource = "Input",
            Tags = [new Tag("team", "ml")],
            CreatedBy = "ann",
        },
        Status = Enum.Parse<TransformJobStatus>(status),
        FailureReason = "reason",
        CreationTime = created,
        TransformStartTime = created.AddSeconds(1),
        TransformEndTime = created.AddSeconds(2),
        LastModifiedTime = created,
        StopRequested = true,
        Attempt = 3,
        Progress = new TransformProgress(4, 2, 100, 50),
    };
}
