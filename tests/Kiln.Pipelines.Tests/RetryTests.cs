using System.Collections.Concurrent;
using System.Text.Json;
using Kiln.Core.Jobs;
using Kiln.Core.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kiln.Pipelines.Tests;

/// <summary>RetryPolicies: a step whose create call or job fails in a retryable way is tried again under a new job name.</summary>
public sealed class RetryTests
{
    private sealed class Executions : IPipelineExecutionStore
    {
        private readonly ConcurrentDictionary<string, PipelineExecution> _all = new();

        public Task<bool> AddAsync(PipelineExecution execution, CancellationToken ct = default) => Task.FromResult(_all.TryAdd(execution.Id, execution));

        public Task<PipelineExecution?> FindAsync(string id, CancellationToken ct = default) => Task.FromResult(_all.GetValueOrDefault(id));

        public Task<PipelineExecution?> UpdateAsync(string id, Func<PipelineExecution, PipelineExecution?> change, CancellationToken ct = default)
        {
            lock (_all)
            {
                if (!_all.TryGetValue(id, out var current) || change(current) is not { } changed)
                {
                    return Task.FromResult<PipelineExecution?>(null);
                }

                _all[id] = changed;
                return Task.FromResult<PipelineExecution?>(changed);
            }
        }

        public Task<IReadOnlyList<PipelineExecution>> ListAsync(string pipelineName, CancellationToken ct = default) =>
            Task.FromResult<IReadOnlyList<PipelineExecution>>(_all.Values.Where(e => e.PipelineName == pipelineName).ToList());
    }

    /// <summary>Training calls that fail as told: the create call with an error type, or the job with a failure reason.</summary>
    private sealed class FlakyTraining(int createFailures, string createError, int jobFailures) : IPipelineOperations
    {
        private int _creates;
        private readonly ConcurrentDictionary<string, bool> _failedJobs = new();

        public List<string> Created { get; } = [];

        public Task<JsonElement> InvokeAsync(string operation, JsonElement request, string caller, CancellationToken ct = default)
        {
            var name = request.GetProperty("TrainingJobName").GetString()!;
            if (operation == "CreateTrainingJob")
            {
                if (Interlocked.Increment(ref _creates) <= createFailures)
                {
                    throw new PipelineOperationException(createError, "the service is having a moment");
                }

                lock (Created)
                {
                    _failedJobs[name] = Created.Count < jobFailures;
                    Created.Add(name);
                }

                return Task.FromResult(JsonSerializer.SerializeToElement(new { TrainingJobArn = name }));
            }

            var failed = _failedJobs.GetValueOrDefault(name);
            return Task.FromResult(JsonSerializer.SerializeToElement(failed
                ? new { TrainingJobName = name, TrainingJobStatus = "Failed", FailureReason = "InternalServerError: the node went away" }
                : (object)new { TrainingJobName = name, TrainingJobStatus = "Completed" }));
        }

        public string? CheckPropertyPath(string describeOperation, IReadOnlyList<PropertyPathSegment> path) => null;
    }

    private sealed class OneSlot : IJobSlots, IDisposable
    {
        public int Capacity => 1;

        public int Running => 0;

        public int Waiting => 0;

        public Task<IDisposable> AcquireAsync(CancellationToken ct) => Task.FromResult<IDisposable>(this);

        public void Dispose()
        {
        }
    }

    private static async Task<StepExecution> RunAsync(FlakyTraining operations, string retryPolicies)
    {
        var definition = $$$"""
            {"Version": "2020-12-01", "Steps": [{"Name": "Train", "Type": "Training", "RetryPolicies": {{{retryPolicies}}}, "Arguments": {"RoleArn": "r"}}]}
            """;
        var executions = new Executions();
        var now = DateTimeOffset.UtcNow;
        await executions.AddAsync(new PipelineExecution
        {
            Id = "exec00000001",
            PipelineName = "p",
            DefinitionJson = definition,
            Parameters = new Dictionary<string, JsonElement>(),
            CreatedBy = "tests",
            CreationTime = now,
            LastModifiedTime = now,
        });

        // No step here writes property files, so the runner never reads data.
        var runner = new PipelineExecutionRunner(executions, operations, null!, TimeProvider.System, NullLogger<PipelineExecutionRunner>.Instance,
            options: new PipelineRunnerOptions { PollInterval = TimeSpan.FromMilliseconds(5), MaxPollInterval = TimeSpan.FromMilliseconds(5) });
        await runner.RunAsync(new JobRun("exec00000001", false, "test", new OneSlot(), CancellationToken.None, CancellationToken.None));
        return (await executions.FindAsync("exec00000001"))!.Step("Train")!;
    }

    private const string ServiceFaults = """[{"ExceptionType": ["Step.SERVICE_FAULT"], "IntervalSeconds": 0.01, "BackoffRate": 1.5, "MaxAttempts": 3}]""";

    [Fact]
    public async Task A_service_fault_on_create_is_retried_up_to_the_policy_s_attempts()
    {
        var operations = new FlakyTraining(createFailures: 2, "InternalFailure", jobFailures: 0);
        var step = await RunAsync(operations, ServiceFaults);
        Assert.Equal(StepStatus.Succeeded, step.Status);
        Assert.Equal(3, step.AttemptCount);
        Assert.Equal(["train-exec00000001-3"], operations.Created);
    }

    [Fact]
    public async Task Attempts_run_out_and_the_step_fails_with_the_last_error()
    {
        var step = await RunAsync(new FlakyTraining(createFailures: 5, "InternalFailure", jobFailures: 0), ServiceFaults);
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal(3, step.AttemptCount);
        Assert.StartsWith("InternalFailure:", step.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failures_no_policy_covers_are_not_retried()
    {
        var validation = await RunAsync(new FlakyTraining(createFailures: 1, "ValidationException", jobFailures: 0), ServiceFaults);
        Assert.Equal((StepStatus.Failed, 1), (validation.Status, validation.AttemptCount));
        var unprotected = await RunAsync(new FlakyTraining(createFailures: 1, "InternalFailure", jobFailures: 0), "[]");
        Assert.Equal((StepStatus.Failed, 1), (unprotected.Status, unprotected.AttemptCount));
    }

    [Fact]
    public async Task A_job_that_fails_inside_the_service_is_started_again_under_the_next_name()
    {
        var operations = new FlakyTraining(createFailures: 0, "InternalFailure", jobFailures: 1);
        var step = await RunAsync(operations, """[{"ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "IntervalSeconds": 0.01, "MaxAttempts": 2}]""");
        Assert.Equal(StepStatus.Succeeded, step.Status);
        Assert.Equal(["train-exec00000001", "train-exec00000001-2"], operations.Created);
        Assert.Equal("train-exec00000001-2", step.ResourceName);
    }
}
