using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Common;
using Kiln.Core.Pipelines;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>What every <see cref="IPipelineStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class PipelineStoreContract : DeletableNamedResourceContract<Pipeline>
{
    private IPipelineStore? _store;

    protected abstract IPipelineStore CreateStore();

    protected IPipelineStore Store => _store ??= CreateStore();

    protected override Task<bool> AddAsync(Pipeline item) => Store.AddAsync(item);

    protected override Task<Pipeline?> FindAsync(string name) => Store.FindAsync(name);

    protected override Task<Pipeline?> UpdateAsync(string name, Func<Pipeline, Pipeline?> change) => Store.UpdateAsync(name, change);

    protected override Task<Page<Pipeline>> ListAsync(ListQuery query) => Store.ListAsync(query);

    protected override Task<bool> DeleteAsync(string name) => Store.DeleteAsync(name);

    // Pipelines have no status of their own in SageMaker's listing; the store lists them all as Active.
    protected override IReadOnlyList<string> Statuses => ["Active"];

    protected override string NameOf(Pipeline item) => item.Name;

    protected override Pipeline Mark(Pipeline item, string mark) => item with { Tags = [.. item.Tags, new Tag(mark, "")], Version = item.Version + 1 };

    protected override IReadOnlyCollection<string> MarksOf(Pipeline item) => item.Tags.Select(tag => tag.Key).ToList();

    protected override Pipeline Sample(string name, DateTimeOffset created, string status) => new()
    {
        Name = name,
        DisplayName = "Display " + name,
        Description = "a pipeline",
        DefinitionJson = "{\"Version\":\"2020-12-01\",\"Steps\":[]}",
        RoleArn = "arn:aws:iam::1:role/r",
        Tags = [new Tag("team", "ml")],
        CreatedBy = "ann",
        LastModifiedBy = "bob",
        CreationTime = created,
        LastModifiedTime = created,
        LastRunTime = created.AddMinutes(5),
        Version = 3,
    };
}

/// <summary>What every <see cref="IPipelineExecutionStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class PipelineExecutionStoreContract
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };
    private static readonly DateTimeOffset Epoch = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private IPipelineExecutionStore? _store;

    protected abstract IPipelineExecutionStore CreateStore();

    protected IPipelineExecutionStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task An_execution_round_trips_every_field()
    {
        var execution = Sample("exec-1", "p", Epoch);

        Assert.True(await Store.AddAsync(execution));

        AssertSame(execution, await Store.FindAsync("exec-1"));
        Assert.Null(await Store.FindAsync("exec-2"));
    }

    [StoreFact]
    public async Task Adding_a_taken_id_is_refused_and_keeps_the_first()
    {
        var first = Sample("x", "p", Epoch);
        await Store.AddAsync(first);

        Assert.False(await Store.AddAsync(Sample("x", "other", Epoch.AddDays(1))));

        AssertSame(first, await Store.FindAsync("x"));
    }

    [StoreFact]
    public async Task Update_writes_the_change_and_a_missing_or_declined_one_writes_nothing()
    {
        await Store.AddAsync(Sample("x", "p", Epoch));

        var updated = await Store.UpdateAsync("x", execution => execution with { Status = PipelineExecutionStatus.Succeeded });
        Assert.Equal(PipelineExecutionStatus.Succeeded, updated!.Status);
        AssertSame(updated, await Store.FindAsync("x"));

        Assert.Null(await Store.UpdateAsync("x", _ => null));
        Assert.Equal(PipelineExecutionStatus.Succeeded, (await Store.FindAsync("x"))!.Status);
        Assert.Null(await Store.UpdateAsync("ghost", execution => execution));
        Assert.Null(await Store.FindAsync("ghost"));
    }

    [StoreFact]
    public async Task Parallel_step_updates_lose_no_step()
    {
        await Store.AddAsync(Sample("x", "p", Epoch) with { Steps = [] });

        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await Store.UpdateAsync("x", execution => execution.WithStep(new StepExecution { Name = $"s-{writer}-{i}", Type = "Training" }));
            }
        })));

        Assert.Equal(40, (await Store.FindAsync("x"))!.Steps.Select(step => step.Name).Distinct().Count());
    }

    [StoreFact]
    public async Task Listing_gives_one_pipelines_executions_newest_first()
    {
        for (var i = 0; i < 5; i++)
        {
            await Store.AddAsync(Sample($"p-{i}", "p", Epoch.AddMinutes(i)));
            await Store.AddAsync(Sample($"q-{i}", "q", Epoch.AddMinutes(i)));
        }

        Assert.Equal(["p-4", "p-3", "p-2", "p-1", "p-0"], (await Store.ListAsync("p")).Select(execution => execution.Id));
        Assert.Empty(await Store.ListAsync("none"));
        Assert.Empty(await Store.ListAsync("P"));
    }

    private static PipelineExecution Sample(string id, string pipeline, DateTimeOffset created) => new()
    {
        Id = id,
        PipelineName = pipeline,
        DisplayName = "run " + id,
        Description = "an execution",
        Status = PipelineExecutionStatus.Failed,
        FailureReason = "step failed",
        DefinitionJson = "{\"Steps\":[]}",
        Parameters = new Dictionary<string, JsonElement>
        {
            ["Threshold"] = JsonSerializer.SerializeToElement(0.5),
            ["Input"] = JsonSerializer.SerializeToElement("s3://b/in"),
        },
        Steps =
        [
            new StepExecution
            {
                Name = "train",
                Type = "Training",
                DisplayName = "Train",
                Description = "trains",
                Status = StepStatus.Failed,
                StartTime = created,
                EndTime = created.AddSeconds(5),
                FailureReason = "oom",
                ResourceName = "job",
                ResourceArn = "arn:aws:sagemaker:us-east-1:1:training-job/job",
                PropertiesJson = "{\"a\":1}",
                PropertyFiles = new Dictionary<string, string> { ["Eval"] = "{}" },
                CacheKey = "key",
                CacheSourceExecutionId = "older",
                Outcome = true,
                ErrorMessage = "error",
                AttemptCount = 2,
            },
        ],
        PriorAttempts = new Dictionary<string, int> { ["train"] = 1 },
        CreatedBy = "ann",
        Region = "eu-west-1",
        CreationTime = created,
        LastModifiedTime = created.AddSeconds(9),
        StopRequested = true,
        Attempt = 3,
    };

    private static void AssertSame(PipelineExecution expected, PipelineExecution? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(JsonSerializer.Serialize(expected, Json), JsonSerializer.Serialize(actual, Json));
    }
}
