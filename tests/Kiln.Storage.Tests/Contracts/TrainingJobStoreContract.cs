using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Core.Training;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// What every <see cref="ITrainingJobStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.
/// </summary>
public abstract partial class TrainingJobStoreContract : NamedResourceContract<TrainingJob>
{
    private ITrainingJobStore? _store;

    protected abstract ITrainingJobStore CreateStore();

    protected ITrainingJobStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task Creating_a_taken_name_is_resource_in_use()
    {
        await Store.CreateAsync(Sample("dup", Epoch, nameof(TrainingJobStatus.InProgress)));

        var error = await StoreAssert.FailsWith(ErrorCode.ResourceInUse, () => Store.CreateAsync(Sample("dup", Epoch, nameof(TrainingJobStatus.Failed))));
        Assert.Contains("dup", error.Message, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task Listing_sorts_by_status()
    {
        await Store.CreateAsync(Sample("a", Epoch, nameof(TrainingJobStatus.Stopped)));
        await Store.CreateAsync(Sample("b", Epoch, nameof(TrainingJobStatus.Completed)));
        await Store.CreateAsync(Sample("c", Epoch, nameof(TrainingJobStatus.InProgress)));

        var page = await Store.ListAsync(new ListQuery(SortBy: ListSort.Status, Ascending: true));

        Assert.Equal(["b", "c", "a"], page.Items.Select(job => job.Name));
    }

    protected override async Task<bool> AddAsync(TrainingJob item)
    {
        try
        {
            await Store.CreateAsync(item);
            return true;
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceInUse)
        {
            return false;
        }
    }

    protected override Task<TrainingJob?> FindAsync(string name) => Store.FindAsync(name);

    protected override Task<TrainingJob?> UpdateAsync(string name, Func<TrainingJob, TrainingJob?> change) => Store.UpdateAsync(name, change);

    protected override Task<Page<TrainingJob>> ListAsync(ListQuery query) => Store.ListAsync(query);

    protected override IReadOnlyList<string> Statuses => [nameof(TrainingJobStatus.InProgress), nameof(TrainingJobStatus.Completed), nameof(TrainingJobStatus.Failed)];

    protected override string NameOf(TrainingJob item) => item.Name;

    protected override TrainingJob Mark(TrainingJob item, string mark) =>
        item with { Transitions = [.. item.Transitions, new StatusTransition(mark, Epoch, null, null)] };

    protected override IReadOnlyCollection<string> MarksOf(TrainingJob item) => item.Transitions.Select(transition => transition.Status).ToList();

    protected override TrainingJob Sample(string name, DateTimeOffset created, string status) => new()
    {
        Spec = new TrainingJobSpec
        {
            Name = name,
            TrainingImage = "kiln/xgboost:1",
            AlgorithmName = "xgboost",
            TrainingInputMode = "Pipe",
            ContainerEntrypoint = ["python3", "train.py"],
            ContainerArguments = ["--epochs", "3"],
            MetricDefinitions = [new MetricDefinition("loss", "loss=([0-9.]+)")],
            HyperParameters = new Dictionary<string, string> { ["eta"] = "0.3", ["max_depth"] = "6" },
            Channels = [new InputChannel("train", "s3://b/train", "text/csv", "Gzip", "ManifestFile", "File")],
            OutputPath = "s3://b/output",
            RoleArn = "arn:aws:iam::123456789012:role/kiln",
            InstanceType = "ml.c5.xlarge",
            InstanceCount = 2,
            VolumeSizeInGb = 50,
            MaxRuntimeInSeconds = 3_600,
            Environment = new Dictionary<string, string> { ["SEED"] = "1" },
            ExperimentName = "exp",
            TrialName = "trial",
            RunName = "run",
            Tags = [new Tag("team", "ml")],
            EnableNetworkIsolation = true,
            StoredSettings = new Dictionary<string, string> { ["VpcConfig"] = "{}" },
            NotActedOn = ["VpcConfig"],
            CreatedBy = "ann",
            TuningJobName = "tuning",
            TuningDefinitionName = "def",
            RunTags = new Dictionary<string, string> { ["k"] = "v" },
        },
        Status = Enum.Parse<TrainingJobStatus>(status),
        SecondaryStatus = SecondaryStatus.Training,
        FailureReason = "none yet",
        CreationTime = created,
        LastModifiedTime = created,
        TrainingStartTime = created.AddSeconds(1),
        TrainingEndTime = created.AddSeconds(9),
        Transitions = [new StatusTransition(SecondaryStatus.Starting, created, created.AddSeconds(1), "starting")],
        FinalMetrics = [new FinalMetric("loss", 0.25, created.AddSeconds(8))],
        ModelArtifacts = "s3://b/output/model.tar.gz",
        RunId = "run-id",
        Attempt = 2,
        StopRequested = true,
    };
}
