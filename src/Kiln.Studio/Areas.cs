namespace Kiln.Studio;

/// <summary>An area of Studio in the navigation, and the page it opens.</summary>
public sealed record StudioArea(string Slug, string Title, string Href);

public static class Areas
{
    public static readonly IReadOnlyList<StudioArea> All =
    [
        new("home", "Home", "/"),
        new("experiments", "Experiments", "/experiments"),
        new("models", "Models", "/models"),
        new("jobs", "Jobs", "/jobs"),
        new("tuning", "Tuning", "/tuning"),
        new("automl", "AutoML", "/automl"),
        new("endpoints", "Endpoints", "/endpoints"),
        new("pipelines", "Pipelines", "/pipelines"),
        new("feature-store", "Feature Store", "/feature-store"),
        new("lineage", "Lineage", "/lineage"),
        new("monitoring", "Monitoring", "/monitoring"),
    ];
}
