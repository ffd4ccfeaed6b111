using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Server;
using Microsoft.AspNetCore.Builder;

namespace Kiln.Api.Tests.Security;

/// <summary><c>--tls-cert</c>/<c>--tls-key</c>: HTTPS with a certificate from a CA made here, which boto3 verifies; bad files stop start-up.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kiln-tests", Guid.NewGuid().ToString("N"));

    public TlsTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public async Task Boto3_verifies_the_served_certificate_against_its_ca()
    {
        var (ca, cert, key) = WriteCertificates();
        await using var app = await KilnServer.StartAsync(new KilnServerOptions { Port = 0, DataDirectory = Path.Combine(_folder, "data"), TlsCert = cert, TlsKey = key });
        var address = new Uri(app.Addresses()[0]);
        Assert.Equal("https", address.Scheme);
        await Boto3.RunAsync(new Uri($"https://127.0.0.1:{address.Port}/"), "tls.py", "test_verified_https", null, ca);
    }

    [Fact]
    public void A_missing_or_wrong_certificate_stops_start_up_with_one_line()
    {
        var (ca, cert, key) = WriteCertificates();
        var options = new KilnServerOptions { DataDirectory = Path.Combine(_folder, "data") };
        Assert.Contains("go together", Assert.Throws<ArgumentException>((options with { TlsCert = cert }).Validate).Message, StringComparison.Ordinal);
        Assert.Contains("no such file", Assert.Throws<ArgumentException>((options with { TlsCert = cert, TlsKey = key + ".missing" }).Validate).Message, StringComparison.Ordinal);
        // The CA's certificate with the server's key: not a matching pair.
        Assert.Contains("not a PEM certificate and matching private key", Assert.Throws<ArgumentException>((options with { TlsCert = ca, TlsKey = key }).Validate).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_folder, "junk.pem"), "not a certificate");
        Assert.Contains("not a PEM certificate", Assert.Throws<ArgumentException>((options with { TlsCert = Path.Combine(_folder, "junk.pem"), TlsKey = key }).Validate).Message, StringComparison.Ordinal);
        (options with { TlsCert = cert, TlsKey = key }).Validate();
    }

    /// <summary>A CA and a server certificate it signs for 127.0.0.1 and localhost; returns the CA file, the server's certificate and key files.</summary>
    private (string Ca, string Cert, string Key) WriteCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Kiln Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var caCert = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(caCert, true, false));
        using var serverCert = request.Create(caCert, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [1, 2, 3, 4, 5, 6, 7, 8]);

        var ca = Path.Combine(_folder, "ca.pem");
        var cert = Path.Combine(_folder, "server.pem");
        var key = Path.Combine(_folder, "server.key");
        File.WriteAllText(ca, caCert.ExportCertificatePem());
        File.WriteAllText(cert, serverCert.ExportCertificatePem());
        File.WriteAllText(key, serverKey.ExportPkcs8PrivateKeyPem());
        return (ca, cert, key);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
