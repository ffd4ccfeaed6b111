using System.Globalization;

namespace Kiln.Core.Common;

/// <summary>The ARNs Kiln hands out: one account (this installation), the caller's region.</summary>
public static class Arns
{
    public const string AccountId = "000000000000";

    /// <summary>The region Kiln's own records (lineage) are in: one installation, one region.</summary>
    public const string DefaultRegion = "us-east-1";

    /// <summary>SageMaker lower-cases resource names in ARNs.</summary>
    public static string SageMaker(string region, string resourceType, string name) =>
        string.Create(CultureInfo.InvariantCulture, $"arn:aws:sagemaker:{region}:{AccountId}:{resourceType}/{name.ToLowerInvariant()}");

    /// <summary>Model package ARNs keep the registered model's case, so an ARN always leads back to its version.</summary>
    public static string ModelPackage(string region, string group, long version) =>
        string.Create(CultureInfo.InvariantCulture, $"arn:aws:sagemaker:{region}:{AccountId}:model-package/{group}/{version}");

    public static string PipelineExecution(string region, string pipeline, string executionId) =>
        SageMaker(region, "pipeline", pipeline) + "/execution/" + executionId;
}
