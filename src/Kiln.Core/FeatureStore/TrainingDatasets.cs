namespace Kiln.Core.FeatureStore;

/// <summary>
/// A point-in-time-correct training set: each labelled event (a CSV in the object store) joined to every named group's
/// feature values as they were at the event's time, written as CSV or Parquet under <see cref="OutputUri"/>.
/// </summary>
public sealed record DatasetRequest(
    string EventsUri,
    string EventTimeColumn,
    string RecordIdColumn,
    IReadOnlyList<string> FeatureGroups,
    string OutputUri,
    string Format,
    string Region);

/// <summary>What was written: the file's URI, its rows and columns, and the lineage artifact that stands for it.</summary>
public sealed record DatasetResult(string OutputUri, string FileUri, long Rows, IReadOnlyList<string> Columns, string ArtifactArn, string ContentHash);

public interface ITrainingDatasetBuilder
{
    /// <summary>Builds the dataset; KilnException InvalidParameterValue / ResourceDoesNotExist for a bad request, nothing written.</summary>
    Task<DatasetResult> BuildAsync(DatasetRequest request, CancellationToken ct = default);
}
