using Kiln.Core.Transform;
using Kiln.Pipelines.Definition;

namespace Kiln.Pipelines.Steps;

/// <summary>
/// How a step type maps onto SageMaker operations: the call that starts it (its Arguments are that call's
/// request), the call whose output is its properties, and, for jobs, the status to wait on.
/// </summary>
/// <param name="NameField">The request member that names what the step creates (filled in by Kiln).</param>
/// <param name="MaxNameLength">How long that name may be.</param>
/// <param name="StatusField">The describe output's status member; null for steps that finish when the call returns.</param>
/// <param name="StopOperation">The call that stops a running job.</param>
/// <param name="MetadataKey">The member of PipelineExecutionStepMetadata that names what the step made.</param>
/// <param name="Cacheable">Whether CacheConfig applies (SageMaker caches jobs, not registrations).</param>
public sealed record StepKind(
    string Type,
    string CreateOperation,
    string DescribeOperation,
    string NameField,
    int MaxNameLength,
    string? StatusField,
    string? StopOperation,
    string MetadataKey,
    string ArnResource,
    bool Cacheable)
{
    public static readonly IReadOnlyDictionary<string, StepKind> ByType = new Dictionary<string, StepKind>(StringComparer.Ordinal)
    {
        [StepTypes.Training] = new(StepTypes.Training, "CreateTrainingJob", "DescribeTrainingJob", "TrainingJobName", 63, "TrainingJobStatus", "StopTrainingJob", "TrainingJob", "training-job", true),
        [StepTypes.Processing] = new(StepTypes.Processing, "CreateProcessingJob", "DescribeProcessingJob", "ProcessingJobName", 63, "ProcessingJobStatus", "StopProcessingJob", "ProcessingJob", "processing-job", true),
        [StepTypes.Tuning] = new(StepTypes.Tuning, "CreateHyperParameterTuningJob", "DescribeHyperParameterTuningJob", "HyperParameterTuningJobName", 32, "HyperParameterTuningJobStatus", "StopHyperParameterTuningJob", "TuningJob", "hyper-parameter-tuning-job", true),
        [StepTypes.Transform] = new(StepTypes.Transform, "CreateTransformJob", "DescribeTransformJob", "TransformJobName", 63, "TransformJobStatus", "StopTransformJob", "TransformJob", "transform-job", true),
        [StepTypes.Model] = new(StepTypes.Model, "CreateModel", "DescribeModel", "ModelName", 63, null, null, "Model", "model", false),
        [StepTypes.RegisterModel] = new(StepTypes.RegisterModel, "CreateModelPackage", "DescribeModelPackage", "", 0, null, null, "RegisterModel", "model-package", false),
    };

    public bool IsJob => StatusField is not null;
}
