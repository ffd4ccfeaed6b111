namespace Kiln.Core.Common;

public enum ListSort
{
    CreationTime,
    Name,
    Status,
}

/// <summary>A listing of named resources, as SageMaker's List* operations filter, sort and page them.</summary>
public sealed record ListQuery(
    string? NameContains = null,
    string? Status = null,
    DateTimeOffset? CreatedAfter = null,
    DateTimeOffset? CreatedBefore = null,
    DateTimeOffset? ModifiedAfter = null,
    DateTimeOffset? ModifiedBefore = null,
    ListSort SortBy = ListSort.CreationTime,
    bool Ascending = false,
    int MaxResults = 10,
    string? PageToken = null);
