using System.Text.Json;
using Kiln.Api.SageMaker;
using Kiln.Core.Processing;
using Kiln.Core.Security;
using Kiln.Pipelines.Definition;

namespace Kiln.Api.Security;

/// <summary>
/// Running code is a right (<c>--can-run-code</c>; admins have it): every SageMaker call that would make Kiln run a
/// command the caller supplied asks here first. What runs a command: script-mode training (Kiln's script image, a
/// ContainerEntrypoint, or the SDK's <c>sagemaker_program</c> / <c>SAGEMAKER_PROGRAM</c>), a processing job whose
/// image is not one of Kiln's built-in analyzers (Model Monitor, Clarify), a tuning job whose training does either,
/// a model with an inference script (<c>SAGEMAKER_PROGRAM</c>), and a pipeline with any such step. Built-in
/// algorithms and AutoML (which trains built-in candidates only) run no user code. Without <c>--auth</c> the caller is
/// trusted and has the right.
/// </summary>
internal static class CodeExecutionPolicy
{
    private const string ScriptImage = "kiln/script";
    private const string ProgramParameter = "sagemaker_program";
    private const string ProgramVariable = "SAGEMAKER_PROGRAM";

    /// <summary>Refuses with SageMaker's AccessDeniedException when <paramref name="runsCode"/> and the caller lacks the right.</summary>
    public static void Demand(KilnCaller caller, bool runsCode, string what)
    {
        if (runsCode && !caller.CanRunCode)
        {
            throw new SageMakerException("AccessDeniedException", Refusal(caller, what));
        }
    }

    /// <summary>The message a caller without the code right gets for <paramref name="what"/> (Studio shows it on the page).</summary>
    public static string Refusal(KilnCaller caller, string what) =>
        $"User '{caller.Name}' is not allowed to run code: {what} runs a user-supplied command. An admin can grant the right with 'kiln users create NAME --can-run-code'.";

    /// <summary>The rule <c>ScriptModeSource</c> uses to claim a training job, plus the SDK's environment variable.</summary>
    public static bool TrainingRunsCode(string? image, IReadOnlyCollection<string>? entrypoint, IReadOnlyDictionary<string, string>? hyperParameters, IReadOnlyDictionary<string, string>? environment) =>
        image?.Contains(ScriptImage, StringComparison.Ordinal) == true
        || entrypoint is { Count: > 0 }
        || hyperParameters?.ContainsKey(ProgramParameter) == true
        || environment?.ContainsKey(ProgramVariable) == true;

    /// <summary>A processing job runs its container's command unless Kiln stands in for the image with a built-in analyzer.</summary>
    public static bool ProcessingRunsCode(string? image, IEnumerable<IBuiltInProcessor> builtIns) =>
        image is null || !builtIns.Any(processor => processor.Handles(image));

    /// <summary>A model whose container names an inference script (Kiln runs it in Python workers).</summary>
    public static bool ModelRunsCode(IReadOnlyDictionary<string, string>? environment) => environment?.ContainsKey(ProgramVariable) == true;

    /// <summary>
    /// The first step of a pipeline definition that runs code, or null. Arguments are the requests of the steps'
    /// SageMaker calls; a value the pipeline computes at run time (a parameter or property reference) where an image
    /// or a command goes is treated as code, since it cannot be known now. A definition that does not parse is left
    /// to the pipeline service, which refuses it.
    /// </summary>
    public static string? PipelineStepRunningCode(string definitionJson, IEnumerable<IBuiltInProcessor> builtIns)
    {
        PipelineDefinition definition;
        try
        {
            definition = DefinitionParser.Parse(definitionJson);
        }
        catch (Exception e) when (e is PipelineDefinitionException or JsonException)
        {
            return null;
        }

        return definition.Steps.FirstOrDefault(step => StepRunsCode(step, builtIns))?.Name;
    }

    private static bool StepRunsCode(StepDefinition step, IEnumerable<IBuiltInProcessor> builtIns)
    {
        var arguments = step.Arguments;
        switch (step.Type)
        {
            case "Training":
                return TrainingArgumentsRunCode(Member(arguments, "AlgorithmSpecification"), Member(arguments, "HyperParameters"), Member(arguments, "Environment"));
            case "Tuning":
                var definitions = Member(arguments, "TrainingJobDefinitions") is { ValueKind: JsonValueKind.Array } list ? list.EnumerateArray().ToList() : [];
                if (Member(arguments, "TrainingJobDefinition") is { } single)
                {
                    definitions.Add(single);
                }

                return definitions.Any(definition => TrainingArgumentsRunCode(Member(definition, "AlgorithmSpecification"), Member(definition, "StaticHyperParameters"), Member(definition, "Environment")));
            case "Processing":
                var app = Member(arguments, "AppSpecification");
                return Member(app, "ImageUri") is not { ValueKind: JsonValueKind.String } image || ProcessingRunsCode(image.GetString(), builtIns);
            case "Model":
                var containers = Member(arguments, "Containers") is { ValueKind: JsonValueKind.Array } all ? all.EnumerateArray().ToList() : [];
                if (Member(arguments, "PrimaryContainer") is { } primary)
                {
                    containers.Add(primary);
                }

                return containers.Any(container => HasMember(Member(container, "Environment"), ProgramVariable));
            default:
                return false;
        }
    }

    private static bool TrainingArgumentsRunCode(JsonElement? algorithm, JsonElement? hyperParameters, JsonElement? environment)
    {
        var image = Member(algorithm, "TrainingImage");
        return image is { ValueKind: not JsonValueKind.String } and not { ValueKind: JsonValueKind.Null }
            || image?.GetString()?.Contains(ScriptImage, StringComparison.Ordinal) == true
            || Member(algorithm, "ContainerEntrypoint") is { ValueKind: not JsonValueKind.Null }
            || HasMember(hyperParameters, ProgramParameter)
            || HasMember(environment, ProgramVariable);
    }

    private static JsonElement? Member(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } value && value.TryGetProperty(name, out var member) ? member : null;

    private static bool HasMember(JsonElement? element, string name) => Member(element, name) is not null;
}
