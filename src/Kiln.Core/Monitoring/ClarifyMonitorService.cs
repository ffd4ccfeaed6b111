using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Objects;

namespace Kiln.Core.Monitoring;

/// <summary>
/// ModelBias and ModelExplainability job definitions: stored as <see cref="MonitorJobDefinition"/>s of their type
/// once their analysis config is found in the object store and accepted by Clarify's parser. Each API sees only
/// definitions of its own type: another type's name is not found.
/// </summary>
public sealed class ClarifyMonitorService(MonitoringService monitoring, ObjectStore objects, IClarifyConfigValidator validator)
{
    public async Task<MonitorJobDefinition> CreateAsync(MonitorJobDefinition definition, CancellationToken ct = default)
    {
        var clarify = definition.Clarify ?? throw KilnException.InvalidParameter($"A {definition.MonitoringType} job definition needs its analysis config.");
        if (definition.MonitoringType == MonitoringTypes.ModelBias && string.IsNullOrEmpty(clarify.GroundTruthS3Uri))
        {
            throw KilnException.InvalidParameter("ModelBiasJobInput.GroundTruthS3Input.S3Uri is required: bias metrics compare predictions with ground truth labels.");
        }

        await monitoring.CaptureUriAsync(definition.EndpointName, ct).ConfigureAwait(false);
        validator.Validate(definition.MonitoringType, definition.EndpointName, await ReadConfigAsync(clarify.ConfigUri, ct).ConfigureAwait(false));
        return await monitoring.CreateJobDefinitionAsync(definition, ct).ConfigureAwait(false);
    }

    public async Task<MonitorJobDefinition> DescribeAsync(string monitoringType, string name, CancellationToken ct = default)
    {
        var definition = await monitoring.DescribeJobDefinitionAsync(name, ct).ConfigureAwait(false);
        return definition.MonitoringType == monitoringType
            ? definition
            : throw KilnException.NotFound($"Could not find {monitoringType} job definition {name}.");
    }

    public async Task DeleteAsync(string monitoringType, string name, CancellationToken ct = default)
    {
        await DescribeAsync(monitoringType, name, ct).ConfigureAwait(false);
        await monitoring.DeleteJobDefinitionAsync(name, monitoringType, ct).ConfigureAwait(false);
    }

    private async Task<string> ReadConfigAsync(string uri, CancellationToken ct)
    {
        if (!uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"The analysis config ConfigUri must be an s3:// object in Kiln's object store, not {uri}.");
        }

        var (bucket, key) = DataUris.S3Location(uri);
        try
        {
            var (_, content) = await objects.GetAsync(bucket, key, ct).ConfigureAwait(false);
            await using (content.ConfigureAwait(false))
            {
                using var reader = new StreamReader(content);
                return await reader.ReadToEndAsync(ct).ConfigureAwait(false);
            }
        }
        catch (ObjectStoreException e)
        {
            throw KilnException.InvalidParameter($"Could not read the analysis config {uri}: {e.Message}");
        }
    }
}
