namespace Kiln.Core.Tracking;

public sealed record Dataset(string Name, string Digest, string SourceType, string Source, string? Schema, string? Profile);

public sealed record DatasetInput(Dataset Dataset, IReadOnlyList<Tag> Tags);
