using System.Text.Json;
using Kiln.Api.SageMaker.Shapes;

namespace Kiln.Api.SageMaker;

/// <summary>
/// CreateTrainingJob members Kiln accepts, keeps and echoes in DescribeTrainingJob but does not act on, and what
/// the job's Starting transition says about each, so a caller is not misled into thinking they took effect.
/// </summary>
internal static class TrainingSettingsNotActedOn
{
    public static (Dictionary<string, string> Stored, List<string> Notes) From(CreateTrainingJobRequest request)
    {
        Expect("DebugHookConfig", request.DebugHookConfig, JsonValueKind.Object);
        Expect("DebugRuleConfigurations", request.DebugRuleConfigurations, JsonValueKind.Array);
        Expect("ProfilerConfig", request.ProfilerConfig, JsonValueKind.Object);
        Expect("ProfilerRuleConfigurations", request.ProfilerRuleConfigurations, JsonValueKind.Array);
        Expect("TensorBoardOutputConfig", request.TensorBoardOutputConfig, JsonValueKind.Object);
        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        var notes = new List<string>();
        void Keep(string member, object? value, string? note)
        {
            if (value is null)
            {
                return;
            }

            stored[member] = JsonSerializer.Serialize(value, value.GetType(), AwsJson.Options);
            if (note is not null)
            {
                notes.Add(note);
            }
        }

        var debugger = new[] { ("DebugHookConfig", request.DebugHookConfig), ("DebugRuleConfigurations", request.DebugRuleConfigurations) }.Where(m => m.Item2 is not null).Select(m => m.Item1).ToList();
        Keep("DebugHookConfig", request.DebugHookConfig, null);
        Keep("DebugRuleConfigurations", request.DebugRuleConfigurations, null);
        if (debugger.Count > 0)
        {
            notes.Add($"Kiln does not run Debugger hooks or rules; {string.Join(" and ", debugger)} stored but not acted on.");
        }

        var profilerOn = request.ProfilerConfig is { ValueKind: JsonValueKind.Object } profiler
            && !(profiler.TryGetProperty("DisableProfiler", out var disabled) && disabled.ValueKind == JsonValueKind.True);
        Keep("ProfilerConfig", request.ProfilerConfig, profilerOn ? "Kiln does not run the Profiler; ProfilerConfig stored but not acted on." : null);
        Keep("ProfilerRuleConfigurations", request.ProfilerRuleConfigurations, "Kiln does not run Profiler rules; ProfilerRuleConfigurations stored but not acted on.");
        Keep("TensorBoardOutputConfig", request.TensorBoardOutputConfig, "Kiln does not upload TensorBoard output; TensorBoardOutputConfig stored but not acted on.");
        Keep("CheckpointConfig", request.CheckpointConfig, "Kiln does not sync checkpoints with CheckpointConfig.S3Uri; CheckpointConfig stored but not acted on.");
        Keep("RetryStrategy", request.RetryStrategy, "Kiln does not retry a failed training job; RetryStrategy stored but not acted on.");
        Keep("EnableManagedSpotTraining", request.EnableManagedSpotTraining, request.EnableManagedSpotTraining == true
            ? "Kiln trains on its own node, not on spot capacity; EnableManagedSpotTraining stored but not acted on." : null);
        Keep("EnableInterContainerTrafficEncryption", request.EnableInterContainerTrafficEncryption, request.EnableInterContainerTrafficEncryption == true
            ? "Kiln does not encrypt the traffic between a distributed job's hosts; EnableInterContainerTrafficEncryption stored but not acted on." : null);
        if (request.EnableNetworkIsolation == true)
        {
            notes.Add("Kiln does not cut the training container off the network; EnableNetworkIsolation stored but not acted on.");
        }

        return (stored, notes);
    }

    private static void Expect(string member, JsonElement? value, JsonValueKind kind)
    {
        if (value is { } element && element.ValueKind != kind && element.ValueKind != JsonValueKind.Null)
        {
            throw new SageMakerException("ValidationException", $"{member} must be {(kind == JsonValueKind.Object ? "a structure" : "a list")}.");
        }
    }

    public static T? Read<T>(IReadOnlyDictionary<string, string> stored, string member) =>
        stored.TryGetValue(member, out var json) ? JsonSerializer.Deserialize<T>(json, AwsJson.Options) : default;
}
