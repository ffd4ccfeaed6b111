namespace Kiln.Core.Logs;

/// <summary>
/// Where the endpoints' logs are on this node: one log (a <see cref="JobLogWriter"/> file) per replica, served as
/// the stream <c>{variant}/{instance id}</c> of the log group <c>/aws/sagemaker/Endpoints/{endpoint}</c>.
/// </summary>
public interface IEndpointLogFiles
{
    /// <summary>The endpoints that have logs on this node (deleted endpoints keep theirs).</summary>
    IEnumerable<string> Endpoints();

    /// <summary>The endpoint's stream names, <c>{variant}/{instance id}</c>.</summary>
    IEnumerable<string> Streams(string endpoint);

    /// <summary>The file of a stream; null when the name is not one Kiln writes.</summary>
    string? StreamFile(string endpoint, string stream);
}
