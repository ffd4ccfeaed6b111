using System.Xml;
using Kiln.Api.S3;
using Kiln.Core.Objects;
using Kiln.Fuzz.Tests.Infrastructure;

namespace Kiln.Fuzz.Tests.Parsers;

/// <summary>
/// S3's XML bodies are read or refused as malformed (MalformedXML) or as a bad part list (InvalidPart); aws-chunked
/// bodies decode or are refused as incomplete (IncompleteBody), never buffering an endless line.
/// </summary>
public class S3BodyFuzzTests
{
    [Fact]
    public void Delete_documents_are_read_or_refused_as_malformed() =>
        Fuzzing.Property(S3BodyGrammar.XmlBytes, 900, body => body.Length, body => S3RequestBodies.ReadDelete(Load(body)), e => e is XmlException);

    [Fact]
    public void Complete_upload_documents_are_read_or_refused_as_malformed_or_invalid_parts() =>
        Fuzzing.Property(S3BodyGrammar.XmlBytes, 900, body => body.Length, body => S3RequestBodies.ReadCompletedParts(Load(body)),
            e => e is XmlException or ObjectStoreException { Error: ObjectError.InvalidPart });

    [Fact]
    public void Aws_chunked_bodies_decode_or_are_refused_as_incomplete() =>
        Fuzzing.Property(S3BodyGrammar.AnyChunked, 1800, input => input.Body.Length, input => Decode(input.Body, input.Declared), e => e is InvalidDataException);

    internal static System.Xml.Linq.XDocument Load(byte[] body) =>
        S3RequestBodies.LoadAsync(new MemoryStream(body), CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Reads the decoded data to its end in small buffers; what was decoded must fit what the framing declared.</summary>
    internal static byte[] Decode(byte[] body, long? declared)
    {
        using var stream = new AwsChunkedStream(new MemoryStream(body), declared);
        using var data = new MemoryStream();
        var buffer = new byte[7];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            data.Write(buffer, 0, read);
        }

        Assert.True(data.Length <= body.Length, "decoded more bytes than the body holds");
        return data.ToArray();
    }
}
