using System.Security.Cryptography;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Pipelines;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Pipelines.Definition;

namespace Kiln.Pipelines;

/// <summary>Pipelines and their executions: definitions checked before they are stored, executions run on the job engine.</summary>
public sealed class PipelineService(
    IPipelineStore pipelines,
    IPipelineExecutionStore executions,
    IPipelineOperations operations,
    IJobScheduler scheduler,
    TimeProvider clock)
{
    public const string JobKind = "pipeline-execution";

    public async Task<Pipeline> CreateAsync(string name, string? displayName, string? description, string definitionJson, string? roleArn, IReadOnlyList<Tag> tags, string createdBy, CancellationToken ct = default)
    {
        Check(definitionJson);
        var now = clock.GetUtcNow();
        var pipeline = new Pipeline
        {
            Name = name,
            DisplayName = displayName,
            Description = description,
            DefinitionJson = definitionJson,
            RoleArn = roleArn,
            Tags = tags,
            CreatedBy = createdBy,
            LastModifiedBy = createdBy,
            CreationTime = now,
            LastModifiedTime = now,
        };
        return await pipelines.AddAsync(pipeline, ct).ConfigureAwait(false)
            ? pipeline
            : throw new KilnException(ErrorCode.ResourceInUse, $"Pipeline {name} already exists.");
    }

    public async Task<Pipeline> UpdateAsync(string name, string? displayName, string? description, string? definitionJson, string? roleArn, string by, CancellationToken ct = default)
    {
        if (definitionJson is not null)
        {
            Check(definitionJson);
        }

        return await pipelines.UpdateAsync(name, current => current with
        {
            DisplayName = displayName ?? current.DisplayName,
            Description = description ?? current.Description,
            DefinitionJson = definitionJson ?? current.DefinitionJson,
            RoleArn = roleArn ?? current.RoleArn,
            Version = definitionJson is not null && definitionJson != current.DefinitionJson ? current.Version + 1 : current.Version,
            LastModifiedBy = by,
            LastModifiedTime = clock.GetUtcNow(),
        }, ct).ConfigureAwait(false) ?? throw NotFound(name);
    }

    public async Task<Pipeline> DescribeAsync(string name, CancellationToken ct = default) =>
        await pipelines.FindAsync(name, ct).ConfigureAwait(false) ?? throw NotFound(name);

    public Task<Page<Pipeline>> ListAsync(ListQuery query, CancellationToken ct = default) => pipelines.ListAsync(query, ct);

    public async Task<Pipeline> DeleteAsync(string name, CancellationToken ct = default)
    {
        var pipeline = await DescribeAsync(name, ct).ConfigureAwait(false);
        foreach (var execution in (await executions.ListAsync(name, ct).ConfigureAwait(false)).Where(execution => !execution.IsFinished))
        {
            await StopAsync(execution.Id, ct).ConfigureAwait(false);
        }

        await pipelines.DeleteAsync(name, ct).ConfigureAwait(false);
        return pipeline;
    }

    public async Task<PipelineExecution> StartAsync(
        string pipelineName,
        string? displayName,
        string? description,
        IReadOnlyList<(string Name, string Value)> parameters,
        string createdBy,
        string region,
        CancellationToken ct = default)
    {
        var pipeline = await DescribeAsync(pipelineName, ct).ConfigureAwait(false);
        var definition = DefinitionParser.Parse(pipeline.DefinitionJson);
        Dictionary<string, System.Text.Json.JsonElement> values;
        try
        {
            values = ParameterValues.Resolve(definition, parameters);
        }
        catch (PipelineDefinitionException e)
        {
            throw KilnException.InvalidParameter(e.Message);
        }

        var now = clock.GetUtcNow();
        var execution = new PipelineExecution
        {
            Id = NewExecutionId(),
            PipelineName = pipeline.Name,
            DisplayName = displayName,
            Description = description,
            DefinitionJson = pipeline.DefinitionJson,
            Parameters = values,
            CreatedBy = createdBy,
            Region = region,
            CreationTime = now,
            LastModifiedTime = now,
        };
        await executions.AddAsync(execution, ct).ConfigureAwait(false);
        await pipelines.UpdateAsync(pipeline.Name, current => current with { LastRunTime = now }, ct).ConfigureAwait(false);
        await scheduler.StartAsync(JobKind, execution.Id, ct).ConfigureAwait(false);
        return execution;
    }

    public async Task<PipelineExecution> DescribeExecutionAsync(string id, CancellationToken ct = default) =>
        await executions.FindAsync(id, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Pipeline execution {id} does not exist.");

    public async Task<IReadOnlyList<PipelineExecution>> ListExecutionsAsync(string pipelineName, CancellationToken ct = default)
    {
        await DescribeAsync(pipelineName, ct).ConfigureAwait(false);
        return await executions.ListAsync(pipelineName, ct).ConfigureAwait(false);
    }

    public async Task<PipelineExecution> StopAsync(string id, CancellationToken ct = default)
    {
        var execution = await DescribeExecutionAsync(id, ct).ConfigureAwait(false);
        if (execution.IsFinished)
        {
            throw KilnException.InvalidParameter($"Pipeline execution {id} has already ended ({execution.Status}); only an executing pipeline can be stopped.");
        }

        var stopped = await executions.UpdateAsync(id, current => current.IsFinished ? null : current with
        {
            StopRequested = true,
            Status = PipelineExecutionStatus.Stopping,
            LastModifiedTime = clock.GetUtcNow(),
        }, ct).ConfigureAwait(false);
        await scheduler.StopAsync(JobKind, id, ct).ConfigureAwait(false);
        return stopped ?? execution;
    }

    /// <summary>Runs a failed or stopped execution again from where it ended: steps that succeeded keep their results.</summary>
    public async Task<PipelineExecution> RetryAsync(string id, CancellationToken ct = default)
    {
        var execution = await DescribeExecutionAsync(id, ct).ConfigureAwait(false);
        if (execution.Status is not (PipelineExecutionStatus.Failed or PipelineExecutionStatus.Stopped))
        {
            throw KilnException.InvalidParameter($"Pipeline execution {id} is {execution.Status}; only a Failed or Stopped execution can be retried.");
        }

        var retried = await executions.UpdateAsync(id, current => current with
        {
            Status = PipelineExecutionStatus.Executing,
            FailureReason = null,
            StopRequested = false,
            Steps = current.Steps.Where(step => step.Status == StepStatus.Succeeded).ToList(),
            PriorAttempts = current.Steps.Where(step => step.Status != StepStatus.Succeeded)
                .Aggregate(current.PriorAttempts.ToDictionary(), (attempts, step) =>
                {
                    attempts[step.Name] = Math.Max(attempts.GetValueOrDefault(step.Name), step.AttemptCount);
                    return attempts;
                }),
            LastModifiedTime = clock.GetUtcNow(),
        }, ct).ConfigureAwait(false);
        await scheduler.StartAsync(JobKind, id, ct).ConfigureAwait(false);
        return retried ?? execution;
    }

    private void Check(string definitionJson)
    {
        try
        {
            DefinitionValidator.ParseAndValidate(definitionJson, operations);
        }
        catch (PipelineDefinitionException e)
        {
            throw KilnException.InvalidParameter($"Invalid PipelineDefinition: {e.Message}");
        }
    }

    private static KilnException NotFound(string name) => KilnException.NotFound($"Pipeline {name} does not exist.");

    /// <summary>Execution ids as SageMaker's: 12 lower-case letters and digits.</summary>
    private static string NewExecutionId()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(12, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
    }
}
