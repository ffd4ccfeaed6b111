using System.Text.Json;
using Kiln.Core.Pipelines;
using Kiln.Pipelines.Expressions;
using Kiln.Pipelines.Steps;

namespace Kiln.Pipelines.Definition;

/// <summary>
/// Checks a parsed definition before anything is stored: unique step names, DependsOn and references that
/// name real steps, parameters and properties, conditions that are well formed, and no cycles.
/// </summary>
public static class DefinitionValidator
{
    private static readonly IReadOnlySet<string> ExecutionVariables = new HashSet<string>(StringComparer.Ordinal)
    {
        "PipelineExecutionId", "PipelineExecutionArn", "StartDateTime", "CurrentDateTime", "PipelineName", "PipelineArn",
    };

    public static PipelineDefinition ParseAndValidate(string json, IPipelineOperations operations)
    {
        var definition = DefinitionParser.Parse(json);
        Validate(definition, operations);
        return definition;
    }

    public static void Validate(PipelineDefinition definition, IPipelineOperations operations)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in definition.Steps.Where(step => !names.Add(step.Name)))
        {
            throw new PipelineDefinitionException($"{step.Place}: the step name '{step.Name}' is used more than once; step names must be unique.");
        }

        foreach (var duplicate in definition.Parameters.GroupBy(p => p.Name).Where(group => group.Count() > 1))
        {
            throw new PipelineDefinitionException($"Parameters: the parameter name '{duplicate.Key}' is declared more than once.");
        }

        foreach (var step in definition.Steps)
        {
            foreach (var dependency in step.DependsOn.Where(dependency => definition.Step(dependency) is null))
            {
                throw new PipelineDefinitionException($"{step.Place} (step '{step.Name}'): DependsOn names '{dependency}', which is not a step of this pipeline.");
            }

            foreach (var reference in Expression.References(step.Arguments, $"{step.Place}.Arguments"))
            {
                CheckReference(definition, step, reference, operations);
            }

            CheckArguments(step);
        }

        CheckAcyclic(definition);
    }

    /// <summary>The steps a step waits for: DependsOn, the steps its expressions read, and the condition it is a branch of.</summary>
    public static IReadOnlyList<string> Dependencies(PipelineDefinition definition, StepDefinition step)
    {
        var dependencies = new List<string>(step.DependsOn);
        foreach (var reference in Expression.References(step.Arguments, step.Place))
        {
            var parts = reference.Get.Split('.', 3);
            if (parts.Length >= 2 && parts[0] == "Steps")
            {
                dependencies.Add(parts[1].Split('[')[0]);
            }
        }

        if (step.ConditionStep is { } condition)
        {
            dependencies.Add(condition);
        }

        return dependencies.Where(name => definition.Step(name) is not null && name != step.Name).Distinct().ToList();
    }

    private static void CheckReference(PipelineDefinition definition, StepDefinition step, Reference reference, IPipelineOperations operations)
    {
        var where = $"{reference.Place} (step '{step.Name}')";
        IReadOnlyList<PropertyPathSegment> path;
        try
        {
            path = PropertyPath.Parse(reference.Get);
        }
        catch (FormatException e)
        {
            throw new PipelineDefinitionException($"{where}: {e.Message}");
        }

        switch (path[0].Member)
        {
            case "Parameters" when path.Count == 2:
                if (definition.Parameter(path[1].Member) is null)
                {
                    throw new PipelineDefinitionException($"{where}: '{reference.Get}' refers to parameter '{path[1].Member}', which the pipeline does not declare.");
                }

                return;
            case "Execution" when path.Count == 2:
                if (!ExecutionVariables.Contains(path[1].Member))
                {
                    throw new PipelineDefinitionException($"{where}: '{reference.Get}' is not an execution variable; they are {string.Join(", ", ExecutionVariables.Select(v => "Execution." + v))}.");
                }

                return;
            case "Steps" when path.Count >= 2:
                var target = definition.Step(path[1].Member)
                    ?? throw new PipelineDefinitionException($"{where}: '{reference.Get}' refers to step '{path[1].Member}', which is not a step of this pipeline.");
                if (target.Name == step.Name)
                {
                    throw new PipelineDefinitionException($"{where}: '{reference.Get}' refers to the step itself.");
                }

                if (path.Count >= 3 && path[2].Member == "PropertyFiles")
                {
                    if (!reference.InJsonGet || path.Count != 4)
                    {
                        throw new PipelineDefinitionException($"{where}: a property file is read with Std:JsonGet, as {{\"Get\": \"Steps.{target.Name}.PropertyFiles.<file>\"}}.");
                    }

                    if (target.PropertyFiles.All(file => file.Name != path[3].Member))
                    {
                        throw new PipelineDefinitionException($"{where}: step '{target.Name}' declares no property file '{path[3].Member}'.");
                    }

                    return;
                }

                if (!StepKind.ByType.TryGetValue(target.Type, out var kind))
                {
                    throw new PipelineDefinitionException($"{where}: '{reference.Get}': a {target.Type} step has no properties.");
                }

                if (path.Count == 2)
                {
                    throw new PipelineDefinitionException($"{where}: '{reference.Get}' must name one of step '{target.Name}''s properties.");
                }

                if (operations.CheckPropertyPath(kind.DescribeOperation, path.Skip(2).ToList()) is { } problem)
                {
                    throw new PipelineDefinitionException($"{where}: '{reference.Get}' is not a property of {target.Type} step '{target.Name}': {problem}");
                }

                return;
            default:
                throw new PipelineDefinitionException($"{where}: '{reference.Get}' must be Parameters.<name>, Execution.<variable> or Steps.<step>.<property>.");
        }
    }

    private static void CheckArguments(StepDefinition step)
    {
        var where = $"{step.Place} (step '{step.Name}')";
        switch (step.Type)
        {
            case StepTypes.Condition:
                if (!step.Arguments.TryGetProperty("Conditions", out var conditions) || conditions.ValueKind != JsonValueKind.Array || conditions.GetArrayLength() == 0)
                {
                    throw new PipelineDefinitionException($"{where}: a Condition step needs Arguments.Conditions, a non-empty list.");
                }

                var index = 0;
                foreach (var condition in conditions.EnumerateArray())
                {
                    Conditions.Check(condition, $"{step.Place}.Arguments.Conditions[{index++}]");
                }

                break;
            case StepTypes.Fail:
                break;
            default:
                var kind = StepKind.ByType[step.Type];
                if (kind.NameField.Length > 0 && step.Arguments.TryGetProperty(kind.NameField, out _))
                {
                    throw new PipelineDefinitionException($"{where}: Arguments.{kind.NameField} is set by the pipeline for each execution; leave it out.");
                }

                break;
        }

        if (step.Cache is { Enabled: true } && StepKind.ByType.TryGetValue(step.Type, out var cached) && !cached.Cacheable)
        {
            throw new PipelineDefinitionException($"{where}: CacheConfig applies to job steps (Processing, Training, Tuning, Transform), not to {step.Type} steps.");
        }

        foreach (var file in step.PropertyFiles)
        {
            if (step.Type != StepTypes.Processing)
            {
                throw new PipelineDefinitionException($"{where}: only Processing steps write property files.");
            }

            var outputs = step.Arguments.TryGetProperty("ProcessingOutputConfig", out var config) && config.TryGetProperty("Outputs", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(output => output.TryGetProperty("OutputName", out var name) ? name.GetString() : null).ToList()
                : [];
            if (!outputs.Contains(file.OutputName))
            {
                throw new PipelineDefinitionException($"{where}: property file '{file.Name}' is written to output '{file.OutputName}', which the step does not declare.");
            }
        }
    }

    private static void CheckAcyclic(PipelineDefinition definition)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var trail = new List<string>();

        void Visit(StepDefinition step)
        {
            state[step.Name] = 1;
            trail.Add(step.Name);
            foreach (var dependency in Dependencies(definition, step))
            {
                var status = state.GetValueOrDefault(dependency);
                if (status == 1)
                {
                    var cycle = trail.Skip(trail.IndexOf(dependency)).Append(dependency);
                    throw new PipelineDefinitionException($"{step.Place} (step '{step.Name}'): the steps form a cycle: {string.Join(" -> ", cycle)}.");
                }

                if (status == 0)
                {
                    Visit(definition.Step(dependency)!);
                }
            }

            trail.RemoveAt(trail.Count - 1);
            state[step.Name] = 2;
        }

        foreach (var step in definition.Steps.Where(step => !state.ContainsKey(step.Name)))
        {
            Visit(step);
        }
    }
}
