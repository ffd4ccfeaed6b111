using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Experiments;
using Kiln.Core.Lineage;
using Kiln.Core.Registry;
using Kiln.Core.Tracking;

namespace Kiln.Studio.Data;

/// <summary>A lineage entity a run page links to, with what it is to the run.</summary>
public sealed record RunLineageLink(string Arn, string Label);

/// <summary>
/// What Kiln's lineage service knows about a run: its trial component (a job's run is one, named as SageMaker names it)
/// and the model versions registered from it (model packages). Only entities the lineage store holds are linked.
/// </summary>
public sealed class RunLineage(LineageService lineage, RegistryService registry)
{
    private const int MaxVersions = 20;

    public async Task<IReadOnlyList<RunLineageLink>> LinksAsync(Run run, CancellationToken ct = default)
    {
        var candidates = new List<RunLineageLink>();
        var tags = run.Data.Tags.ToDictionary(tag => tag.Key, tag => tag.Value, StringComparer.Ordinal);
        if (tags.GetValueOrDefault(ExperimentTags.Kind) == ExperimentTags.TrialComponentKind && tags.GetValueOrDefault(ExperimentTags.Name) is { Length: > 0 } name)
        {
            candidates.Add(new(Arns.SageMaker(Arns.DefaultRegion, "experiment-trial-component", name), $"Trial component {name}"));
        }

        var versions = await registry.SearchModelVersionsAsync($"run_id = '{run.Info.RunId}'", MaxVersions, null, null, ct).ConfigureAwait(false);
        foreach (var version in versions.Items)
        {
            if (long.TryParse(version.Version, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                candidates.Add(new(Arns.ModelPackage(Arns.DefaultRegion, version.Name, number), $"Model {version.Name} version {number}"));
            }
        }

        var known = new List<RunLineageLink>();
        foreach (var candidate in candidates)
        {
            if (await lineage.FindAsync(candidate.Arn, ct).ConfigureAwait(false) is not null)
            {
                known.Add(candidate);
            }
        }

        return known;
    }
}
