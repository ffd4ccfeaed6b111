namespace Kiln.Server;

/// <summary>Where the server listens and keeps its data. The defaults are the embedded, no-setup mode.</summary>
public sealed record KilnServerOptions
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests use it).</summary>
    public int Port { get; init; } = 5000;

    public string DataDirectory { get; init; } = Path.Combine(Environment.CurrentDirectory, ".kiln");

    public string DatabasePath => Path.Combine(Path.GetFullPath(DataDirectory), "kiln.db");

    public string ArtifactDirectory => Path.Combine(Path.GetFullPath(DataDirectory), "artifacts");

    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "The port must be between 0 and 65535.");
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("The host must not be empty.", nameof(Host));
        }
    }
}
