using Kiln.Core.Tracking;

namespace Kiln.Core.Registry;

public sealed record ModelVersion(
    string Name,
    string Version,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    string? Description,
    string? UserId,
    string CurrentStage,
    string Source,
    string? RunId,
    string Status,
    string? StatusMessage,
    IReadOnlyList<Tag> Tags,
    string? RunLink,
    IReadOnlyList<string> Aliases,
    string? StorageLocation);

public sealed record NewModelVersion(
    string Name,
    string Source,
    string? RunId,
    IReadOnlyList<Tag> Tags,
    string? RunLink,
    string? Description,
    string? UserId,
    string? StorageLocation,
    long Now);
