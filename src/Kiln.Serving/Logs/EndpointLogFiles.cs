using System.Text.RegularExpressions;
using Kiln.Core.Logs;
using Kiln.Serving.Models;

namespace Kiln.Serving.Logs;

/// <summary>The endpoints' logs under the hosting workspace: <c>endpoint-logs/{endpoint}/{variant}/{instance id}.log</c>.</summary>
public sealed partial class EndpointLogFiles(ServingWorkspace workspace) : IEndpointLogFiles
{
    public const string Extension = ".log";

    public IEnumerable<string> Endpoints() =>
        Directory.Exists(workspace.EndpointLogDirectory)
            ? Directory.EnumerateDirectories(workspace.EndpointLogDirectory).Select(Path.GetFileName).OfType<string>().Where(IsName)
            : [];

    public IEnumerable<string> Streams(string endpoint)
    {
        var root = Path.Combine(workspace.EndpointLogDirectory, endpoint);
        if (!IsName(endpoint) || !Directory.Exists(root))
        {
            return [];
        }

        return Directory.EnumerateDirectories(root)
            .Select(Path.GetFileName).OfType<string>().Where(IsName)
            .SelectMany(variant => Directory.EnumerateFiles(Path.Combine(root, variant), "*" + Extension)
                .Select(file => Path.GetFileNameWithoutExtension(file))
                .Where(instance => InstanceId().IsMatch(instance))
                .Select(instance => $"{variant}/{instance}"));
    }

    public string? StreamFile(string endpoint, string stream)
    {
        var slash = stream.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && IsName(endpoint) && IsName(stream[..slash]) && InstanceId().IsMatch(stream[(slash + 1)..])
            ? File(endpoint, stream[..slash], stream[(slash + 1)..])
            : null;
    }

    /// <summary>A replica's log file.</summary>
    public string File(string endpoint, string variant, string instance) =>
        Path.Combine(workspace.EndpointLogDirectory, endpoint, variant, instance + Extension);

    /// <summary>SageMaker's endpoint and variant name pattern; it also keeps a name from reaching outside the workspace.</summary>
    public static bool IsName(string name) => Name().IsMatch(name);

    [GeneratedRegex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")]
    private static partial Regex Name();

    [GeneratedRegex("^i-[0-9a-f]{17}$")]
    private static partial Regex InstanceId();
}
