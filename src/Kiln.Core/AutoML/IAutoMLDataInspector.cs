using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Core.Training;

namespace Kiln.Core.AutoML;

/// <summary>What a first look at the training data says, before a job is accepted: enough to refuse it the way SageMaker does.</summary>
public sealed record DataCheck(IReadOnlyList<string> Columns, int Rows, IReadOnlyList<string> TargetValues, bool TargetIsNumeric);

/// <summary>Reads an AutoML job's training data far enough to check it (columns, rows, the target's distinct values).</summary>
public interface IAutoMLDataInspector
{
    Task<DataCheck> InspectAsync(string uri, string? contentType, string targetColumn, CancellationToken ct);
}
