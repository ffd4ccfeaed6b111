using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Kiln.Core.Objects;

namespace Kiln.Api.S3;

/// <summary>
/// Reads the XML documents clients send (DeleteObjects, CompleteMultipartUpload). The reader refuses DTDs (no
/// entity expansion), documents past <see cref="MaxCharacters"/> and nesting past <see cref="MaxDepth"/>; a document that is not what S3's schema
/// allows throws <see cref="XmlException"/>, which the endpoint answers as MalformedXML.
/// </summary>
internal static class S3RequestBodies
{
    /// <summary>Well above the largest legal body (10,000 parts of CompleteMultipartUpload, 1,000 keys of DeleteObjects).</summary>
    public const long MaxCharacters = 8 * 1024 * 1024;

    /// <summary>DeleteObjects takes at most this many keys.</summary>
    public const int MaxDeleteKeys = 1000;

    /// <summary>S3's documents are three levels deep; anything much deeper is refused before a tree is built.</summary>
    public const int MaxDepth = 16;

    public static async Task<XDocument> LoadAsync(Stream body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxCharacters)
            {
                throw Malformed($"the document is longer than {MaxCharacters} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxCharacters,
            IgnoreWhitespace = true,
        };

        // A first pass checks the depth, which XmlReader does not bound, so a deeply nested body costs one scan.
        buffer.Position = 0;
        using (var scan = XmlReader.Create(buffer, settings))
        {
            while (scan.Read())
            {
                if (scan.Depth > MaxDepth)
                {
                    throw Malformed($"elements are nested more than {MaxDepth} deep");
                }
            }
        }

        buffer.Position = 0;
        using var reader = XmlReader.Create(buffer, settings);
        return XDocument.Load(reader, LoadOptions.None);
    }

    /// <summary>The keys of a <c>&lt;Delete&gt;</c> document and whether it asks for a quiet answer.</summary>
    public static (bool Quiet, IReadOnlyList<string> Keys) ReadDelete(XDocument document)
    {
        var root = document.Root ?? throw Malformed("the document has no root element");
        var quiet = string.Equals(Child(root, "Quiet")?.Value, "true", StringComparison.OrdinalIgnoreCase);
        var keys = new List<string>();
        foreach (var item in root.Elements().Where(e => e.Name.LocalName == "Object"))
        {
            keys.Add(Child(item, "Key")?.Value ?? throw Malformed("each Object needs a Key"));
        }

        if (keys.Count > MaxDeleteKeys)
        {
            throw Malformed($"a Delete request names at most {MaxDeleteKeys} objects, not {keys.Count}");
        }

        return (quiet, keys);
    }

    /// <summary>The parts of a <c>&lt;CompleteMultipartUpload&gt;</c> document, with the checksum each carries.</summary>
    public static IReadOnlyList<CompletedPart> ReadCompletedParts(XDocument document)
    {
        var root = document.Root ?? throw Malformed("the document has no root element");
        return root.Elements().Where(e => e.Name.LocalName == "Part").Select(part =>
        {
            var number = Child(part, "PartNumber")?.Value;
            var etag = Child(part, "ETag")?.Value;
            var checksum = Enum.GetValues<ChecksumAlgorithm>()
                .Select(algorithm => Child(part, S3Checksums.ElementName(algorithm)) is { } element ? new ObjectChecksum(algorithm, element.Value) : null)
                .FirstOrDefault(found => found is not null);
            return int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && etag is not null
                ? new CompletedPart(n, etag, checksum)
                : throw new ObjectStoreException(ObjectError.InvalidPart, "Each Part needs a PartNumber and an ETag.");
        }).ToList();
    }

    private static XElement? Child(XElement parent, string localName) => parent.Elements().FirstOrDefault(e => e.Name.LocalName == localName);

    private static XmlException Malformed(string why) => new($"The XML you provided does not validate against S3's schema: {why}.");
}
