namespace Kiln.Core.Common;

/// <summary>One page of a listing plus the opaque token that fetches the next one (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextPageToken);
