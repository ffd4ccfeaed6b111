namespace Kiln.Core.Tracking;

/// <summary>MLflow's limits (mlflow/utils/validation.py), so every backend and dialect refuses the same input.</summary>
public static class TrackingLimits
{
    public const int MaxMetricsPerBatch = 1000;
    public const int MaxParamsTagsPerBatch = 100;
    public const int MaxEntitiesPerBatch = 1000;
    public const int MaxBatchRequestBytes = 1_000_000;
    public const int MaxParamValueLength = 6000;
    public const int MaxTagValueLength = 8000;
    public const int MaxEntityKeyLength = 250;
    public const int MaxExperimentNameLength = 500;
    public const int MaxExperimentTagKeyLength = 250;
    public const int MaxExperimentTagValueLength = 5000;
    public const int MaxDatasetNameLength = 500;
    public const int MaxDatasetDigestLength = 36;
    public const int MaxDatasetSchemaLength = 1_048_575;
    public const int MaxDatasetSourceLength = 65_535;
    public const int MaxDatasetProfileLength = 16_777_215;
    public const int MaxInputTagKeyLength = 255;
    public const int MaxInputTagValueLength = 500;
    public const int MaxDatasetsPerBatch = 1000;

    public const int SearchRunsDefaultMaxResults = 1000;
    public const int SearchRunsMaxResultsThreshold = 50_000;
    public const int SearchExperimentsDefaultMaxResults = 1000;
    public const int SearchExperimentsMaxResultsThreshold = 50_000;
    public const int MetricHistoryMaxResultsThreshold = 25_000_000;
}
