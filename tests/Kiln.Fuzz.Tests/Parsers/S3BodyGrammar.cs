using System.Text;
using CsCheck;
using Kiln.Fuzz.Tests.Infrastructure;

namespace Kiln.Fuzz.Tests.Parsers;

/// <summary>S3 request bodies: DeleteObjects and CompleteMultipartUpload documents, and aws-chunked framing.</summary>
public static class S3BodyGrammar
{
    private const string Ns = "http://s3.amazonaws.com/doc/2006-03-01/";

    private static readonly Gen<string> Text = Gen.Frequency(
        (3, Gen.OneOf("key", "a/b/c", "\"etag\"", "1", "0", "-1", "10001", "99999999999", "true", "", " ", "&amp;", "&lt;x&gt;", "&#0;", "&#x1F600;", "&bogus;", "<![CDATA[x]]>")),
        (1, Gen.String[Gen.Char["abc/<>&;\"' 019"], 0, 20]));

    private static readonly Gen<string> Element = Gen.Recursive<string>((depth, inner) => Gen.Frequency(
        (3, Gen.Select(Gen.OneOf("Object", "Key", "VersionId", "Quiet", "Part", "PartNumber", "ETag", "ChecksumCRC32", "ChecksumSHA256", "Other"), Text,
            (name, text) => $"<{name}>{text}</{name}>")),
        (depth < 4 ? 2 : 0, Gen.Select(Gen.OneOf("Object", "Part", "Delete"), inner.Array[0, 4], (name, children) => $"<{name}>{string.Concat(children)}</{name}>"))));

    public static readonly Gen<string> Delete = Gen.Select(Element.Array[0, 6], Gen.Bool, (children, ns) => $"<Delete{(ns ? $" xmlns=\"{Ns}\"" : "")}>{string.Concat(children)}</Delete>");

    public static readonly Gen<string> Complete = Gen.Select(Element.Array[0, 6], Gen.Bool, (children, ns) => $"<CompleteMultipartUpload{(ns ? $" xmlns=\"{Ns}\"" : "")}>{string.Concat(children)}</CompleteMultipartUpload>");

    /// <summary>Entity expansion, external entities, deep nesting and long documents.</summary>
    public static readonly Gen<string> Hostile = Gen.OneOf(
        Gen.Const("<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">]><Delete><Object><Key>&f;</Key></Object></Delete>"),
        Gen.Const("<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Delete><Object><Key>&x;</Key></Object></Delete>"),
        Gen.Select(Gen.Int[1_000, 50_000], n => "<Delete>" + Mutations.Repeat("<Object>", n) + Mutations.Repeat("</Object>", n) + "</Delete>"),
        Gen.Select(Gen.Int[1_001, 3_000], n => "<Delete>" + Mutations.Repeat("<Object><Key>k</Key></Object>", n) + "</Delete>"),
        Gen.Select(Gen.Int[1_000, 20_000], n => "<CompleteMultipartUpload>" + Mutations.Repeat("<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>", n) + "</CompleteMultipartUpload>"));

    public static readonly Gen<byte[]> Xml = Gen.Frequency(
        (4, Gen.OneOf(Delete, Complete)),
        (3, Mutations.MutateMany(Gen.OneOf(Delete, Complete))),
        (1, Hostile),
        (1, Mutations.Noise)).Select(Encoding.UTF8.GetBytes);

    /// <summary>Raw bytes sometimes, so encodings and byte order marks get their turn.</summary>
    public static readonly Gen<byte[]> XmlBytes = Gen.Frequency((5, Xml), (1, Gen.Byte.Array[0, 200]));

    private static readonly Gen<string> ChunkHeader = Gen.Frequency(
        (3, Gen.Int[0, 64].Select(n => n.ToString("x", System.Globalization.CultureInfo.InvariantCulture))),
        (1, Gen.OneOf("", "-1", "+5", "zz", "0x10", "FFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "7fffffffffffffff", " 5 ", "5;chunk-signature=abc", "5;", "0;x", "\t3")),
        (1, Gen.Int[4_000, 10_000].Select(n => Mutations.Repeat("0", n) + "1")));

    /// <summary>Chunks whose data usually matches the declared size, trailers, and framing faults.</summary>
    public static readonly Gen<(byte[] Body, long? Declared)> Chunked = Gen.Select(
        Gen.Select(ChunkHeader, Gen.Int[-2, 2], Gen.OneOf("\r\n", "\n", "", "\r"), (header, skew, end) => (header, skew, end)).Array[0, 6],
        Gen.OneOf("0\r\n\r\n", "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", "0\r\n", "", "0\r\nbad trailer\r\n\r\n", "0\r\n" + Mutations.Repeat("a:b\r\n", 20) + "\r\n", "0\r\n" + new string('t', 5000) + "\r\n"),
        Gen.Frequency((2, Gen.Const((long?)null)), (1, Gen.Long[-1, 200].Select(n => (long?)n))),
        (chunks, end, declared) =>
        {
            var body = new StringBuilder();
            foreach (var (header, skew, lineEnd) in chunks)
            {
                var size = long.TryParse(header.Split(';')[0].Trim(), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var n) && n < 100 ? (int)n : 3;
                body.Append(header).Append("\r\n").Append(new string('d', Math.Max(0, size + skew))).Append(lineEnd);
            }

            return (Encoding.ASCII.GetBytes(body.Append(end).ToString()), declared);
        });

    public static readonly Gen<(byte[] Body, long? Declared)> AnyChunked = Gen.Frequency(
        (5, Chunked),
        (1, Gen.Select(Gen.Byte.Array[0, 300], Gen.Frequency((2, Gen.Const((long?)null)), (1, Gen.Long[0, 100].Select(n => (long?)n))), (bytes, declared) => (bytes, declared))));
}
