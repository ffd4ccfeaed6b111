using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Api.SageMaker;

/// <summary>The filters every SageMaker List*Jobs request shares (transform, tuning and AutoML jobs).</summary>
internal interface IJobListRequest
{
    string? NameContains { get; }

    string? StatusEquals { get; }

    DateTimeOffset? CreationTimeAfter { get; }

    DateTimeOffset? CreationTimeBefore { get; }

    DateTimeOffset? LastModifiedTimeAfter { get; }

    DateTimeOffset? LastModifiedTimeBefore { get; }

    string? SortBy { get; }

    string? SortOrder { get; }

    int? MaxResults { get; }

    string? NextToken { get; }
}

/// <summary>Paging the way SageMaker pages: a list request becomes a store query; a NextToken Kiln did not issue is a ValidationException.</summary>
internal static class JobListing
{
    public static async Task<Page<T>> PageAsync<T>(IJobListRequest request, Func<ListQuery, Task<Page<T>>> list)
    {
        var query = new ListQuery(
            NameContains: request.NameContains,
            Status: request.StatusEquals,
            CreatedAfter: request.CreationTimeAfter,
            CreatedBefore: request.CreationTimeBefore,
            ModifiedAfter: request.LastModifiedTimeAfter,
            ModifiedBefore: request.LastModifiedTimeBefore,
            SortBy: request.SortBy switch { "Name" => ListSort.Name, "Status" => ListSort.Status, _ => ListSort.CreationTime },
            Ascending: request.SortOrder == "Ascending",
            MaxResults: request.MaxResults ?? 10,
            PageToken: request.NextToken);
        try
        {
            return await list(query);
        }
        catch (KilnException e) when (e.Code == ErrorCode.InvalidParameterValue)
        {
            throw InvalidToken(request.NextToken);
        }
    }

    /// <summary>One page of a list already in memory (a job's trials or candidates), from the offset a NextToken holds.</summary>
    public static (List<T> Items, string? NextToken) Slice<T>(IReadOnlyList<T> items, string? nextToken, int? maxResults)
    {
        try
        {
            var page = PageToken.Slice(items, nextToken, maxResults ?? 10);
            return (page.Items.ToList(), page.NextPageToken);
        }
        catch (KilnException)
        {
            throw InvalidToken(nextToken);
        }
    }

    private static SageMakerException InvalidToken(string? token) => new("ValidationException", $"Invalid NextToken: {token}");
}
