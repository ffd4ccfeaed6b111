namespace Kiln.Core.Serving;

/// <summary>Autopilot's inference response keys, which a model container's <c>SAGEMAKER_INFERENCE_OUTPUT</c> lists.</summary>
public static class InferenceResponseKeys
{
    public const string Variable = "SAGEMAKER_INFERENCE_OUTPUT";

    public static readonly IReadOnlyList<string> Known = ["predicted_label", "probability", "probabilities", "labels"];

    /// <summary>The environment of an AutoML candidate's inference container: a classifier answers its label unless told otherwise.</summary>
    public static Dictionary<string, string> CandidateEnvironment(bool classifier) => classifier
        ? new Dictionary<string, string> { [Variable] = "predicted_label", ["SAGEMAKER_INFERENCE_SUPPORTED"] = string.Join(',', Known) }
        : [];

    public static IReadOnlyList<string> Parse(string value) => value.Split(',').Select(key => key.Trim()).ToList();

    /// <summary>Why the value is not a list of the keys, or null when it is.</summary>
    public static string? Problem(string value)
    {
        var keys = Parse(value);
        var unknown = keys.FirstOrDefault(key => !Known.Contains(key, StringComparer.Ordinal));
        if (unknown is not null)
        {
            return $"{Variable} '{value}': '{unknown}' is not an inference response key; use a comma-separated list of {string.Join(", ", Known)}.";
        }

        var twice = keys.GroupBy(key => key).FirstOrDefault(group => group.Count() > 1);
        return twice is null ? null : $"{Variable} '{value}': '{twice.Key}' is listed twice.";
    }
}
