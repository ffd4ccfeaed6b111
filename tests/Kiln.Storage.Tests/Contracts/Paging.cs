using Kiln.Core.Common;

namespace Kiln.Storage.Tests.Contracts;

internal static class Paging
{
    /// <summary>Follows next-page tokens to the end; every page but the last must be full.</summary>
    public static async Task<List<T>> All<T>(Func<string?, Task<Page<T>>> fetch, int pageSize)
    {
        var all = new List<T>();
        string? token = null;
        for (var pages = 0; pages < 1_000; pages++)
        {
            var page = await fetch(token);
            all.AddRange(page.Items);
            if (page.NextPageToken is null)
            {
                return all;
            }

            Assert.Equal(pageSize, page.Items.Count);
            token = page.NextPageToken;
        }

        Assert.Fail("Paging never ended.");
        return all;
    }
}
