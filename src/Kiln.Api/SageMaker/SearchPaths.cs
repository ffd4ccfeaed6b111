namespace Kiln.Api.SageMaker;

/// <summary>
/// Where a SageMaker Search property name (a path into the Describe output) lives in the domain record:
/// the longest listed prefix is rewritten, the rest of the path kept; a name not listed is the same in both.
/// </summary>
internal sealed class SearchPaths(params (string SageMaker, string Domain)[] prefixes)
{
    public static readonly SearchPaths TrainingJob = new(
        ("TrainingJobName", "Spec.Name"),
        ("TrainingJobStatus", "Status"),
        ("HyperParameters", "Spec.HyperParameters"),
        ("InputDataConfig", "Spec.Channels"),
        ("InputDataConfig.ChannelName", "Spec.Channels.Name"),
        ("InputDataConfig.DataSource.S3DataSource.S3Uri", "Spec.Channels.Uri"),
        ("InputDataConfig.DataSource.S3DataSource.S3DataType", "Spec.Channels.DataType"),
        ("AlgorithmSpecification.TrainingImage", "Spec.TrainingImage"),
        ("AlgorithmSpecification.AlgorithmName", "Spec.AlgorithmName"),
        ("AlgorithmSpecification.TrainingInputMode", "Spec.TrainingInputMode"),
        ("AlgorithmSpecification.MetricDefinitions", "Spec.MetricDefinitions"),
        ("AlgorithmSpecification.ContainerEntrypoint", "Spec.ContainerEntrypoint"),
        ("AlgorithmSpecification.ContainerArguments", "Spec.ContainerArguments"),
        ("FinalMetricDataList", "FinalMetrics"),
        ("FinalMetricDataList.MetricName", "FinalMetrics.Name"),
        ("SecondaryStatusTransitions", "Transitions"),
        ("SecondaryStatusTransitions.StatusMessage", "Transitions.Message"),
        ("Tags", "Spec.Tags"),
        ("RoleArn", "Spec.RoleArn"),
        ("OutputDataConfig.S3OutputPath", "Spec.OutputPath"),
        ("ResourceConfig.InstanceType", "Spec.InstanceType"),
        ("ResourceConfig.InstanceCount", "Spec.InstanceCount"),
        ("ResourceConfig.VolumeSizeInGB", "Spec.VolumeSizeInGb"),
        ("StoppingCondition.MaxRuntimeInSeconds", "Spec.MaxRuntimeInSeconds"),
        ("ModelArtifacts.S3ModelArtifacts", "ModelArtifacts"),
        ("ExperimentConfig.ExperimentName", "Spec.ExperimentName"),
        ("ExperimentConfig.TrialName", "Spec.TrialName"),
        ("ExperimentConfig.RunName", "Spec.RunName"),
        ("Environment", "Spec.Environment"),
        ("EnableNetworkIsolation", "Spec.EnableNetworkIsolation"));

    /// <summary>Records searched as their Describe output (feature groups, feature metadata): names are paths as they are.</summary>
    public static readonly SearchPaths Identity = new();

    public static readonly SearchPaths Experiment = new(("ExperimentName", "Name"));

    public static readonly SearchPaths Trial = new(("TrialName", "Name"));

    public static readonly SearchPaths TrialComponent = new(
        ("TrialComponentName", "Name"),
        ("Source.SourceArn", "SourceArn"),
        ("Status.PrimaryStatus", "PrimaryStatus"),
        ("Status.Message", "StatusMessage"),
        ("InputArtifacts", "Inputs"),
        ("OutputArtifacts", "Outputs"),
        ("Metrics.MetricName", "Metrics.Name"),
        ("Parents.TrialName", "Trials"),
        ("Parents.ExperimentName", "ExperimentName"),
        ("Tags", "UserTags"));

    public static readonly SearchPaths ModelPackage = new(
        ("ModelPackageGroupName", "GroupName"),
        ("ModelPackageName", "GroupName"),
        ("ModelPackageVersion", "VersionNumber"),
        ("ModelPackageDescription", "Version.Description"),
        ("ModelApprovalStatus", "Details.ApprovalStatus"),
        ("ApprovalDescription", "Details.ApprovalDescription"),
        ("CustomerMetadataProperties", "Details.CustomerMetadata"),
        ("Domain", "Details.Domain"),
        ("Task", "Details.Task"),
        ("SamplePayloadUrl", "Details.SamplePayloadUrl"),
        ("SourceUri", "Details.SourceUri"),
        ("InferenceSpecification.Containers", "Details.Containers"),
        ("InferenceSpecification.SupportedContentTypes", "Details.SupportedContentTypes"),
        ("InferenceSpecification.SupportedResponseMIMETypes", "Details.SupportedResponseMIMETypes"),
        ("InferenceSpecification.SupportedRealtimeInferenceInstanceTypes", "Details.SupportedRealtimeInferenceInstanceTypes"),
        ("InferenceSpecification.SupportedTransformInstanceTypes", "Details.SupportedTransformInstanceTypes"),
        ("CreatedBy.UserProfileName", "Details.CreatedBy"),
        ("LastModifiedBy.UserProfileName", "Details.LastModifiedBy"),
        ("Tags", "UserTags"));

    public string Map(string path)
    {
        var best = prefixes
            .Where(prefix => path == prefix.SageMaker || path.StartsWith(prefix.SageMaker + ".", StringComparison.Ordinal))
            .OrderByDescending(prefix => prefix.SageMaker.Length)
            .FirstOrDefault();
        return best.SageMaker is null ? path : best.Domain + path[best.SageMaker.Length..];
    }

    /// <summary>A nested filter's path, relative to an element of the list at <paramref name="nested"/>, in domain terms.</summary>
    public string MapNested(string nested, string relative)
    {
        var full = Map(nested + "." + relative);
        var prefix = Map(nested) + ".";
        return full.StartsWith(prefix, StringComparison.Ordinal) ? full[prefix.Length..] : relative;
    }
}
