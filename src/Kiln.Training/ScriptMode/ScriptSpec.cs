namespace Kiln.Training.ScriptMode;

/// <summary>
/// What to run in script mode: a command (ContainerEntrypoint + ContainerArguments, or the SDK's
/// sagemaker_program run by its interpreter), where its code comes from, how to read metrics from its log,
/// and extra environment variables.
/// </summary>
public sealed record ScriptSpec(
    IReadOnlyList<string> Command,
    string? SubmitDirectory,
    string? Program,
    IReadOnlyList<Kiln.Core.Training.MetricDefinition> MetricDefinitions,
    IReadOnlyDictionary<string, string> Environment);
