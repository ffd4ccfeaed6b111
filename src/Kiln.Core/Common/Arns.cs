using System.Globalization;

namespace Kiln.Core.Common;

/// <summary>The ARNs Kiln hands out: one account (this installation), the caller's region.</summary>
public static class Arns
{
    public const string AccountId = "000000000000";

    /// <summary>SageMaker lower-cases resource names in ARNs.</summary>
    public static string SageMaker(string region, string resourceType, string name) =>
        string.Create(CultureInfo.InvariantCulture, $"arn:aws:sagemaker:{region}:{AccountId}:{resourceType}/{name.ToLowerInvariant()}");

    public static string PipelineExecution(string region, string pipeline, string executionId) =>
        SageMaker(region, "pipeline", pipeline) + "/execution/" + executionId;
}
