namespace Kiln.Server;

/// <summary>Where the server listens and keeps its data. The defaults are the embedded, no-setup mode.</summary>
public sealed record KilnServerOptions
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests use it).</summary>
    public int Port { get; init; } = 5000;

    public string DataDirectory { get; init; } = Path.Combine(Environment.CurrentDirectory, ".kiln");

    /// <summary>How many jobs this node runs at once (default: one per core); more wait in order.</summary>
    public int JobSlots { get; init; } = Environment.ProcessorCount;

    /// <summary>Orleans' silo-to-silo port; 0 picks a free one (the embedded server needs no fixed port).</summary>
    public int SiloPort { get; init; }

    /// <summary>Orleans' gateway port (<c>--gateway-port</c>); 0 picks a free one.</summary>
    public int GatewayPort { get; init; }

    /// <summary>
    /// The address other nodes of a cluster reach this one at (<c>--advertise</c>, cluster mode only); the default,
    /// 127.0.0.1, makes a cluster of processes on one machine.
    /// </summary>
    public string Advertise { get; init; } = "127.0.0.1";

    /// <summary>How often an unfinished job's watchdog checks that it is running somewhere.</summary>
    public TimeSpan JobWatchdogPeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The folders <c>file://</c> URIs from users may name (<c>--allow-file-root</c>). Null allows every path without
    /// <see cref="Auth"/> (the embedded default) and none with it (docs/security.md).
    /// </summary>
    public IReadOnlyList<string>? AllowedFileRoots { get; init; }

    /// <summary>The policy <see cref="AllowedFileRoots"/> describes; Kiln's own data folder is never reachable through roots.</summary>
    public Kiln.Core.Common.FileRoots FileRoots => AllowedFileRoots is null && !Auth
        ? Kiln.Core.Common.FileRoots.AllowAll
        : Kiln.Core.Common.FileRoots.Only((AllowedFileRoots ?? []).Select(Path.GetFullPath), [Path.GetFullPath(DataDirectory)]);

    /// <summary>
    /// Every request must carry a user's verified credentials (<c>--auth</c>): SigV4 for the AWS dialects, basic or
    /// bearer for MLflow and Studio. Off, every caller is trusted, which is only safe on a loopback address.
    /// </summary>
    public bool Auth { get; init; }

    /// <summary>
    /// The permission users have on experiments and registered models nobody gave them one on
    /// (<c>--default-permission</c>; MLflow's default, READ). Admins have every permission.
    /// </summary>
    public Kiln.Core.Security.Permissions.Permission DefaultPermission { get; init; } = Kiln.Core.Security.Permissions.Permission.Read;

    /// <summary>Listen on a non-loopback address without <see cref="Auth"/> (<c>--insecure-no-auth</c>): anyone who reaches the port may run code.</summary>
    public bool InsecureNoAuth { get; init; }

    /// <summary>The most bytes one S3 PutObject or UploadPart may carry (S3's 5 GiB; less for tests or small disks).</summary>
    public long MaxObjectUploadBytes { get; init; } = Kiln.Core.Objects.ObjectLimits.S3MaxUploadBytes;

    /// <summary>
    /// <c>--artifacts s3://BUCKET/PREFIX</c>: artifact and object bytes (MLflow artifacts, the S3 API's objects, model
    /// data, capture, reports) in S3 instead of under <see cref="DataDirectory"/>. Null keeps local files.
    /// </summary>
    public string? Artifacts { get; init; }

    /// <summary><c>--s3-endpoint</c>: an S3-compatible server (MinIO, Ceph, moto…) for <see cref="Artifacts"/>; null asks AWS.</summary>
    public string? S3Endpoint { get; init; }

    /// <summary>The S3 location <see cref="Artifacts"/> names, or null for local files.</summary>
    public Kiln.Artifacts.S3.S3ArtifactLocation? S3Artifacts => Artifacts is null ? null : Kiln.Artifacts.S3.S3ArtifactLocation.Parse(Artifacts, S3Endpoint);

    /// <summary>
    /// The shared metadata store (<c>--store postgres://USER[:PASS]@HOST:PORT/DB</c>); null keeps the embedded
    /// default, SQLite at <see cref="DatabasePath"/>.
    /// </summary>
    public string? Store { get; init; }

    /// <summary>
    /// <c>--online-store redis://HOST[:PORT][/DB]</c>: Feature Store's online store (the latest record per identifier)
    /// in Redis instead of the metadata store. Null keeps it in the metadata store (SQLite or <see cref="Store"/>).
    /// Every node of a cluster must name the same Redis.
    /// </summary>
    public string? OnlineStore { get; init; }

    /// <summary>The Redis server <see cref="OnlineStore"/> names, or null for the metadata store's own online store.</summary>
    public Kiln.Storage.Redis.RedisOnlineStoreLocation? RedisOnlineStore => OnlineStore is null ? null : Kiln.Storage.Redis.RedisOnlineStoreLocation.Parse(OnlineStore);

    /// <summary>
    /// <c>--allowed-hosts a,b</c>: the Host header values (names, without port; <c>*.example.com</c> wildcards) the
    /// server answers; any other gets 400. Null answers every host (the default).
    /// </summary>
    public IReadOnlyList<string>? AllowedHosts { get; init; }

    /// <summary><c>--tls-cert PATH</c>: a PEM certificate (chain) to serve HTTPS with; needs <see cref="TlsKey"/>.</summary>
    public string? TlsCert { get; init; }

    /// <summary><c>--tls-key PATH</c>: the PEM private key of <see cref="TlsCert"/>.</summary>
    public string? TlsKey { get; init; }

    /// <summary>
    /// The certificate <see cref="TlsCert"/> and <see cref="TlsKey"/> name, loaded (null without TLS); throws
    /// <see cref="ArgumentException"/> with one line when either is missing or cannot be read.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? LoadTlsCertificate()
    {
        if (TlsCert is null && TlsKey is null)
        {
            return null;
        }

        if (TlsCert is null || TlsKey is null)
        {
            throw new ArgumentException("--tls-cert and --tls-key go together: pass both PEM files, the certificate and its private key.", nameof(TlsCert));
        }

        foreach (var (option, path) in new[] { ("--tls-cert", TlsCert), ("--tls-key", TlsKey) })
        {
            if (!File.Exists(path))
            {
                throw new ArgumentException($"{option} {path}: no such file.", nameof(TlsCert));
            }
        }

        try
        {
            using var pem = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(TlsCert, TlsKey);
            // Exported and re-imported: on Linux an ephemeral key from PEM works for TLS, but this keeps one code path everywhere.
            return System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(pem.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or IOException)
        {
            throw new ArgumentException($"--tls-cert {TlsCert} / --tls-key {TlsKey}: not a PEM certificate and matching private key ({e.Message.TrimEnd('.')}).", nameof(TlsCert), e);
        }
    }

    /// <summary><c>--rate-limit N</c>: requests per second per access key (anonymous callers per address); 0 is no limit (the default).</summary>
    public int RateLimit { get; init; }

    /// <summary>Where ASP.NET Core Data Protection keeps the keys that sign Studio's cookies and antiforgery tokens.</summary>
    public string DataProtectionKeysDirectory => Path.Combine(Path.GetFullPath(DataDirectory), "data-protection-keys");

    public string DatabasePath => Path.Combine(Path.GetFullPath(DataDirectory), "kiln.db");

    public string JobsDirectory => Path.Combine(Path.GetFullPath(DataDirectory), "jobs");

    public string ProcessingDirectory => Path.Combine(Path.GetFullPath(DataDirectory), "processing");

    public string ArtifactDirectory => Path.Combine(Path.GetFullPath(DataDirectory), "artifacts");

    /// <summary>Where parts of multipart artifact uploads wait until they are completed or aborted.</summary>
    public string ArtifactUploadDirectory => Path.Combine(Path.GetFullPath(DataDirectory), "artifact-uploads");

    /// <summary>Where endpoints and batch transforms keep local copies of model data.</summary>
    public string ServingDirectory => Path.Combine(Path.GetFullPath(DataDirectory), "hosting");

    /// <summary>Where AutoML jobs keep scratch files and the candidate models they score.</summary>
    public string AutoMLDirectory => Path.Combine(Path.GetFullPath(DataDirectory), "automl");

    /// <summary>Where the S3-compatible endpoint keeps object bytes, one folder per bucket.</summary>
    public string ObjectDirectory => Path.Combine(Path.GetFullPath(DataDirectory), "objects");

    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "The port must be between 0 and 65535.");
        }

        if (JobSlots < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(JobSlots), JobSlots, "Job slots must be 0 or more.");
        }

        if (MaxObjectUploadBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxObjectUploadBytes), MaxObjectUploadBytes, "The object upload limit must be positive.");
        }

        if (S3Endpoint is not null && Artifacts is null)
        {
            throw new ArgumentException("--s3-endpoint needs --artifacts s3://BUCKET/PREFIX.", nameof(S3Endpoint));
        }

        try
        {
            _ = S3Artifacts;
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, nameof(Artifacts), e);
        }

        if (Store is { } store && !store.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !store.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"--store must be a postgres://USER[:PASS]@HOST:PORT/DB URL, not '{store}'.", nameof(Store));
        }

        try
        {
            _ = RedisOnlineStore;
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, nameof(OnlineStore), e);
        }

        LoadTlsCertificate()?.Dispose();

        if (RateLimit < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RateLimit), RateLimit, "--rate-limit must be 0 (no limit) or a number of requests per second.");
        }

        if (AllowedHosts is { } hosts && (hosts.Count == 0 || hosts.Any(host => string.IsNullOrWhiteSpace(host) || host.Contains('/', StringComparison.Ordinal) || host.Contains(' ', StringComparison.Ordinal))))
        {
            throw new ArgumentException($"--allowed-hosts must list host names separated by commas (e.g. kiln.example.com,localhost), got '{string.Join(",", hosts)}'.", nameof(AllowedHosts));
        }

        if (SiloPort is < 0 or > 65535 || GatewayPort is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(SiloPort), "--silo-port and --gateway-port must be between 0 and 65535.");
        }

        if (!System.Net.IPAddress.TryParse(Advertise, out _))
        {
            throw new ArgumentException($"--advertise must be an IP address of this machine, not '{Advertise}'.", nameof(Advertise));
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("The host must not be empty.", nameof(Host));
        }

        if (!Auth && !InsecureNoAuth && !IsLoopback(Host))
        {
            throw new ArgumentException(
                $"Refusing to listen on {Host} without authentication: anyone who can reach it could run any command on this machine. " +
                "Start with --auth (and create users with 'kiln users create'), listen on 127.0.0.1, or pass --insecure-no-auth if the network is trusted.",
                nameof(Host));
        }
    }

    /// <summary>Whether <paramref name="host"/> only accepts connections from this machine (a loopback address or <c>localhost</c>).</summary>
    public static bool IsLoopback(string host)
    {
        var bare = host.Trim().TrimStart('[').TrimEnd(']');
        return string.Equals(bare, "localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(bare, out var address) && System.Net.IPAddress.IsLoopback(address));
    }
}
