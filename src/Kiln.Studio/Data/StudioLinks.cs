using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Lineage;
using Kiln.Core.Registry;

namespace Kiln.Studio.Data;

/// <summary>Where each record has its Studio page: one place builds the URLs the model and lineage pages link to.</summary>
public static class StudioLinks
{
    private const string PackageMarker = ":model-package/";

    public static string Model(string name) => "/models/" + Uri.EscapeDataString(name);

    public static string ModelVersion(string name, long version) =>
        string.Create(CultureInfo.InvariantCulture, $"{Model(name)}/versions/{version}");

    public static string Approval(string name, long version) => "/studio" + ModelVersion(name, version) + "/approval";

    public static string FeatureGroup(string name) => "/feature-store/" + Uri.EscapeDataString(name);

    public static string Run(string runId) => "/runs/" + Uri.EscapeDataString(runId);

    public static string Lineage(string arn) => "/lineage?arn=" + Uri.EscapeDataString(arn);

    public static string PackageLineage(ModelPackage package) =>
        Lineage(Arns.ModelPackage(Arns.DefaultRegion, package.GroupName, package.VersionNumber));

    /// <summary>The Studio page of a lineage entity, when Studio has one (today: model packages); null otherwise.</summary>
    public static string? For(LineageEntity entity) =>
        entity.Type == LineageTypes.ModelPackage && ParsePackage(entity.SourceUri) is { } package ? ModelVersion(package.Group, package.Version) : null;

    private static (string Group, long Version)? ParsePackage(string arn)
    {
        var marker = arn.IndexOf(PackageMarker, StringComparison.Ordinal);
        if (marker < 0)
        {
            return null;
        }

        var path = arn[(marker + PackageMarker.Length)..];
        var slash = path.LastIndexOf('/');
        return slash > 0 && long.TryParse(path[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? (path[..slash], version)
            : null;
    }
}
